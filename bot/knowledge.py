"""The content and its classifier, loaded once, swapped atomically when the files change.

What is slow and derived is kept in a cache folder (`var/nlu-cache/` by default, see
`nlu.cache`), so that a restart on unchanged content is ready in a fraction of a second:

- `content-<key>.pkl`: the checked content, when it has no errors. The key hashes every
  file of the content folder (names and bytes), the code that reads and checks it (`bot/
  content/`, `bot/markup.py`, `bot/core/i18n.py`, `nlu/`) and the versions. Any change to a
  content file is a new key: it is checked before it is served. Warnings are not kept (the
  bot serves on errors only; `komek content check` always checks everything).
- `classifier-<backend>-<key>.pkl`: the built classifier, keyed by its inputs (examples,
  urgent ids and phrases, backend), the `nlu` package's files and the versions
  (`nlu.classifier.classifier_key`): an edited answer keeps it, an edited example does not.
- `py3langid-<key>.pkl`: py3langid's model, decompressed; `e5-vectors.npz`: the semantic
  backend's example vectors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import ROOT
from bot.content.check import check_content
from bot.content.model import Content
from bot.content.problems import ERROR, ContentInvalid, Problem
from bot.core.engine import Knowledge
from bot.ops import metrics
from nlu import cache, langid
from nlu.classifier import build_cached

log = logging.getLogger(__name__)

OnBroken = Callable[[list[Problem]], Awaitable[None]]

DEFAULT_CACHE_DIR = ROOT / "var" / "nlu-cache"  # beside the SQLite database
# The code whose output is the checked content (its pickle holds these modules' classes).
CHECK_SOURCES = (
    "bot/__init__.py",
    "bot/aiogram_lazy.py",
    "bot/content/*.py",
    "bot/markup.py",
    "bot/core/__init__.py",
    "bot/core/i18n.py",
)


def build_knowledge(
    content: Content, backend: str = "tfidf", cache_dir: Path | None = None
) -> Knowledge:
    cache_dir = cache_dir or DEFAULT_CACHE_DIR
    classifier = build_cached(
        content.examples(), content.urgent_ids, content.urgent_phrases, backend, cache_dir
    )
    langid.load_models(cache_dir)
    classifier.classify("warm up", prior_lang="ru")  # the first person's message does not
    return Knowledge(content, classifier)  # wait for anything that loads lazily


def content_key(content_dir: Path) -> str:
    """What the checked content depends on: the content's files, the checking code."""
    return cache.digest(
        "content",
        cache.files_hash(content_dir),
        cache.files_hash(ROOT, CHECK_SOURCES),
        cache.source_hash(),
        cache.versions(),
    )


def checked_content(content_dir: Path, cache_dir: Path | None = None) -> Content:
    """The content of `content_dir` once it has no errors (else `ContentInvalid`); the check
    is skipped when a cache file says these very files, checked by this very code, passed."""
    cache_dir = cache_dir or DEFAULT_CACHE_DIR
    key = content_key(content_dir)
    content = cache.read(cache.path_for(cache_dir, "content", key), Content)
    if content is not None:
        return content
    content, problems = check_content(content_dir)
    if content is None or any(p.severity == ERROR for p in problems):
        raise ContentInvalid(problems)
    if content_key(content_dir) == key:  # not edited while it was being checked
        cache.write(cache_dir, "content", key, content)
    return content


def _classifier_inputs(content: Content) -> tuple:
    """What the classifier is built from: a change elsewhere (an answer) keeps it."""
    return (
        tuple((e.intent, e.lang, e.text) for e in content.examples()),
        frozenset(content.urgent_ids),
        tuple(sorted(content.urgent_phrases.items())),
    )


def load_knowledge(
    content_dir: Path,
    backend: str = "tfidf",
    previous: Knowledge | None = None,
    cache_dir: Path | None = None,
) -> Knowledge:
    """Check and load the content; the classifier of `previous` is reused when its examples,
    urgent ids and urgent phrases did not change, else it comes from `cache_dir` (None:
    `DEFAULT_CACHE_DIR`, var/nlu-cache/) or is built (that takes seconds)."""
    content = checked_content(content_dir, cache_dir)
    if previous is not None and _classifier_inputs(previous.content) == _classifier_inputs(content):
        return Knowledge(content, previous.classifier)
    return build_knowledge(content, backend, cache_dir)


def _stamp(content_dir: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(content_dir.rglob("*.yaml"))
    )


class KnowledgeStore:
    """Holds the current knowledge; a broken change never replaces the last good one."""

    def __init__(
        self,
        content_dir: Path,
        knowledge: Knowledge | None = None,
        backend: str = "tfidf",
        cache_dir: Path | None = None,
    ):
        self.content_dir = content_dir
        self.backend = backend
        self.cache_dir = cache_dir or DEFAULT_CACHE_DIR
        self._stamp = _stamp(content_dir)
        self._current = knowledge or load_knowledge(content_dir, backend, None, self.cache_dir)
        self.loaded_at = dt.datetime.now(dt.UTC)  # the last content that was taken
        self.refused: tuple[dt.datetime, list[Problem]] | None = None  # the last one refused

    def current(self) -> Knowledge:
        return self._current

    async def reload_if_changed(self, on_broken: OnBroken | None = None) -> bool:
        stamp = _stamp(self.content_dir)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            knowledge = await asyncio.to_thread(
                load_knowledge, self.content_dir, self.backend, self._current, self.cache_dir
            )
        except ContentInvalid as exc:
            metrics.CONTENT_RELOADS.labels("refused").inc()
            log.error(
                "content change refused: %d error(s); the last good content keeps serving",
                len(exc.errors),
            )
            self.refused = (dt.datetime.now(dt.UTC), exc.problems)
            if on_broken is not None:
                await on_broken(exc.errors)
            return False
        self._current, self.loaded_at, self.refused = knowledge, dt.datetime.now(dt.UTC), None
        metrics.CONTENT_RELOADS.labels("ok").inc()
        log.info("content reloaded: version %s", knowledge.content.version)
        return True

    async def watch(self, on_broken: OnBroken | None = None, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.reload_if_changed(on_broken)
            except Exception:  # keep watching whatever happens to one reload
                metrics.CONTENT_RELOADS.labels("failed").inc()
                log.exception("content reload failed")
