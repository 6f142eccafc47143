"""The content and its classifier, loaded once, swapped atomically when the files change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.content.check import check_content
from bot.content.model import Content
from bot.content.problems import ERROR, ContentInvalid, Problem
from bot.core.engine import Knowledge
from nlu.classifier import Classifier

log = logging.getLogger(__name__)

OnBroken = Callable[[list[Problem]], Awaitable[None]]


def build_knowledge(content: Content, backend: str = "tfidf") -> Knowledge:
    classifier = Classifier.build(
        content.examples(),
        content.urgent_ids,
        urgent_phrases=content.urgent_phrases,
        backend=backend,
    )
    classifier.classify("warm up", prior_lang="ru")  # loads the language models now, not on
    return Knowledge(content, classifier)  # the first person's message


def _classifier_inputs(content: Content) -> tuple:
    """What the classifier is built from: a change elsewhere (an answer) keeps it."""
    return (
        tuple((e.intent, e.lang, e.text) for e in content.examples()),
        frozenset(content.urgent_ids),
        tuple(sorted(content.urgent_phrases.items())),
    )


def load_knowledge(
    content_dir: Path, backend: str = "tfidf", previous: Knowledge | None = None
) -> Knowledge:
    """Check and load the content; the classifier of `previous` is reused when its examples,
    urgent ids and urgent phrases did not change (building it takes seconds)."""
    content, problems = check_content(content_dir)
    if content is None or any(p.severity == ERROR for p in problems):
        raise ContentInvalid(problems)
    if previous is not None and _classifier_inputs(previous.content) == _classifier_inputs(content):
        return Knowledge(content, previous.classifier)
    return build_knowledge(content, backend)


def _stamp(content_dir: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(content_dir.rglob("*.yaml"))
    )


class KnowledgeStore:
    """Holds the current knowledge; a broken change never replaces the last good one."""

    def __init__(
        self, content_dir: Path, knowledge: Knowledge | None = None, backend: str = "tfidf"
    ):
        self.content_dir = content_dir
        self.backend = backend
        self._stamp = _stamp(content_dir)
        self._current = knowledge or load_knowledge(content_dir, backend)

    def current(self) -> Knowledge:
        return self._current

    async def reload_if_changed(self, on_broken: OnBroken | None = None) -> bool:
        stamp = _stamp(self.content_dir)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            knowledge = await asyncio.to_thread(
                load_knowledge, self.content_dir, self.backend, self._current
            )
        except ContentInvalid as exc:
            log.error(
                "content change refused: %d error(s); the last good content keeps serving",
                len(exc.errors),
            )
            if on_broken is not None:
                await on_broken(exc.errors)
            return False
        self._current = knowledge
        log.info("content reloaded: version %s", knowledge.content.version)
        return True

    async def watch(self, on_broken: OnBroken | None = None, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.reload_if_changed(on_broken)
            except Exception:  # keep watching whatever happens to one reload
                log.exception("content reload failed")
