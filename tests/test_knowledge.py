"""Loading content: reloads rebuild the classifier only when its inputs change, and a restart
takes the checked content and the built classifier from the cache folder (nlu.cache).

One real build of the seed content fills a cache folder for the module; the tests work on
copies of it and count the builds and checks that happen."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import bot.knowledge
from bot.config import ROOT
from bot.content.problems import ContentInvalid
from bot.core.engine import Knowledge
from bot.knowledge import (
    CHECK_SOURCES,
    DEFAULT_CACHE_DIR,
    KnowledgeStore,
    content_key,
    load_knowledge,
)
from nlu import cache, langid
from nlu.classifier import Classifier, classifier_key

MESSAGES = [
    ("сколько стоит патент в месяц", "ru"),
    ("паспортымды кожайын алып койды", "ky"),
    ("ro'yxatdan qanday o'taman", "uz"),
    ("патент канча турат", "ky"),
    ("какая погода завтра", "ru"),
    ("ИИН кайдан алам", "kk"),
]


def _add_example(content: Path, entry: str, example: str) -> None:
    ru = content / "faq" / "ru.yaml"
    text = ru.read_text(encoding="utf-8")
    at = text.index("examples:\n", text.index(f"  {entry}:")) + len("examples:\n")
    ru.write_text(text[:at] + f'      - "{example}"\n' + text[at:], encoding="utf-8")


def _edit_answer(content: Path, entry: str, line: str) -> None:
    ru = content / "faq" / "ru.yaml"
    text = ru.read_text(encoding="utf-8")
    at = text.index("answer: |\n", text.index(f"  {entry}:")) + len("answer: |\n")
    ru.write_text(text[:at] + f"      {line}\n" + text[at:], encoding="utf-8")


class Calls:
    def __init__(self) -> None:
        self.build = 0
        self.check = 0


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Knowledge]:
    """A cache folder with the seed content's files only, and what was loaded from it.

    They come from the cache that the test run filled before the tests began (a build here
    took 24 s): the cache folder is copied, the seed loaded from the copy, and what the load
    did not use removed (the cache touches the files it uses; the checked content it reads
    has its key). With no warm cache the load builds, as a first start does."""
    cache_dir = tmp_path_factory.mktemp("seeded") / "nlu-cache"
    if DEFAULT_CACHE_DIR.is_dir():
        shutil.copytree(DEFAULT_CACHE_DIR, cache_dir)
    else:
        cache_dir.mkdir()
    before = time.time() - 1.0  # file times may be coarser than the clock
    langid._Detectors._ident = None  # loaded by an earlier test: load it from this folder
    knowledge = load_knowledge(ROOT / "content", cache_dir=cache_dir)
    content = cache.path_for(cache_dir, "content", content_key(ROOT / "content"))
    for path in cache_dir.iterdir():
        if path != content and path.stat().st_mtime < before:
            path.unlink()
    return cache_dir, knowledge


@pytest.fixture
def cache_dir(seeded: tuple[Path, Knowledge], tmp_path: Path) -> Path:
    copy = tmp_path / "nlu-cache"
    shutil.copytree(seeded[0], copy)
    return copy


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, seeded: tuple[Path, Knowledge]) -> Iterator[Calls]:
    """Counts `Classifier.build` and the content check. A build returns the seed's
    classifier at once: these tests are about whether it happens, not what it makes."""
    counted = Calls()
    seed = seeded[1].classifier
    real_check = bot.knowledge.check_content

    def build(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.build += 1
        return seed

    def check(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.check += 1
        return real_check(*args, **kwargs)

    monkeypatch.setattr(Classifier, "build", build)
    monkeypatch.setattr(bot.knowledge, "check_content", check)
    yield counted


def test_reload_rebuilds_the_classifier_only_when_its_inputs_change(
    cache_dir: Path, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    first = load_knowledge(content, cache_dir=cache_dir)
    _edit_answer(content, "iin", "ОБНОВЛЕНО сегодня.")

    answer_edited = load_knowledge(content, previous=first, cache_dir=cache_dir)
    assert "ОБНОВЛЕНО сегодня." in answer_edited.content.entries["iin"].texts["ru"].answer
    assert answer_edited.classifier is first.classifier

    _add_example(content, "iin", "фиолетовый слон танцует")
    example_added = load_knowledge(content, previous=answer_edited, cache_dir=cache_dir)
    assert example_added.classifier is not first.classifier
    assert example_added.classifier.classify("фиолетовый слон танцует").intent == "iin"


def _files(cache_dir: Path, kind: str) -> list[Path]:
    return sorted(cache_dir.glob(f"{kind}-*.pkl"))


def test_a_restart_takes_content_and_classifier_from_the_cache(
    seeded: tuple[Path, Knowledge], cache_dir: Path, calls: Calls
) -> None:
    assert len(_files(cache_dir, "classifier-tfidf")) == 1
    assert len(_files(cache_dir, "content")) == 1
    assert len(_files(cache_dir, "py3langid")) == 1
    store = KnowledgeStore(ROOT / "content", cache_dir=cache_dir)
    assert (calls.build, calls.check) == (0, 0)
    built = seeded[1]
    loaded = store.current()
    assert loaded.classifier is not built.classifier  # unpickled, not the same object
    assert loaded.content == built.content
    for text, lang in MESSAGES:
        assert loaded.classifier.classify(text, lang) == built.classifier.classify(text, lang)


def test_a_copy_of_the_content_elsewhere_has_the_same_key(cache_dir: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    assert content_key(content) == content_key(ROOT / "content")


def test_an_edited_answer_is_checked_and_keeps_the_cached_classifier(
    cache_dir: Path, calls: Calls, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    _edit_answer(content, "iin", "ОБНОВЛЕНО сегодня.")
    knowledge = load_knowledge(content, cache_dir=cache_dir)
    assert (calls.check, calls.build) == (1, 0)
    assert "ОБНОВЛЕНО сегодня." in knowledge.content.entries["iin"].texts["ru"].answer
    load_knowledge(content, cache_dir=cache_dir)  # and now that content is cached too
    assert (calls.check, calls.build) == (1, 0)


def test_an_edited_example_is_checked_and_rebuilds_the_classifier(
    cache_dir: Path, calls: Calls, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    _add_example(content, "iin", "фиолетовый слон танцует")
    load_knowledge(content, cache_dir=cache_dir)
    assert (calls.check, calls.build) == (1, 1)
    assert len(_files(cache_dir, "classifier-tfidf")) == 2
    load_knowledge(content, cache_dir=cache_dir)
    assert (calls.check, calls.build) == (1, 1)


def test_content_with_errors_is_never_cached(cache_dir: Path, calls: Calls, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    entries = content / "entries.yaml"
    entries.write_text(entries.read_text(encoding="utf-8") + "\n  - [broken\n", encoding="utf-8")
    for attempt in (1, 2):
        with pytest.raises(ContentInvalid):
            load_knowledge(content, cache_dir=cache_dir)
        assert calls.check == attempt
    assert len(_files(cache_dir, "content")) == 1  # the seed's only


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "another type", "writable by others", "missing"],
)
def test_a_bad_cache_file_is_rebuilt_with_a_log_line(
    damage: str, cache_dir: Path, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    [path] = _files(cache_dir, "classifier-tfidf")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "another type":
        path.write_bytes(pickle.dumps({"not": "a classifier"}))
    elif damage == "writable by others":
        path.chmod(0o666)
    else:
        path.unlink()
    with caplog.at_level(logging.INFO, logger="nlu.cache"):
        knowledge = load_knowledge(ROOT / "content", cache_dir=cache_dir)
    assert calls.build == 1
    assert knowledge.classifier.classify("сколько стоит патент", "ru").intent is not None
    if damage != "missing":
        assert f"{path.name}" in caplog.text and "rebuilding" in caplog.text
    assert "building the tfidf classifier" in caplog.text
    [rebuilt] = _files(cache_dir, "classifier-tfidf")  # written again, safely
    assert rebuilt == path and oct(path.stat().st_mode & 0o777) == "0o600"
    assert cache.read(path, Classifier) is not None


def test_a_cache_file_of_another_user_is_not_loaded(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    [path] = _files(cache_dir, "classifier-tfidf")
    monkeypatch.setattr(os, "getuid", lambda: path.stat().st_uid + 1)
    with caplog.at_level(logging.WARNING, logger="nlu.cache"):
        assert cache.read(path, Classifier) is None
    assert "belongs to another user" in caplog.text


def test_an_unwritable_cache_folder_serves_without_a_cache(
    calls: Calls, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="nlu.cache"):
        knowledge = load_knowledge(ROOT / "content", cache_dir=blocker / "nlu-cache")
    assert knowledge.content.entries
    assert "cannot write" in caplog.text


def test_the_key_changes_with_the_nlu_source(
    cache_dir: Path, calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "nlu"
    shutil.copytree(cache.NLU_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    assert cache.source_hash(source) == cache.source_hash()
    examples = [("iin", "ru", "где получить ИИН")]
    before = classifier_key(examples, ["iin"], None, "tfidf")
    assert before == classifier_key(examples, ["iin"], None, "tfidf", cache.source_hash())
    with (source / "scoring.py").open("a", encoding="utf-8") as f:
        f.write("\n# a change of the code\n")
    assert cache.source_hash(source) != cache.source_hash()
    assert classifier_key(examples, ["iin"], None, "tfidf", cache.source_hash(source)) != before
    assert classifier_key(examples, ["iin"], None, "semantic") != before
    assert classifier_key(examples, ["iin", "x"], None, "tfidf") != before
    assert classifier_key(examples, ["iin"], {"ru": ["помогите"]}, "tfidf") != before

    content_before = content_key(ROOT / "content")
    monkeypatch.setattr(cache, "NLU_DIR", source)
    assert content_key(ROOT / "content") != content_before
    load_knowledge(ROOT / "content", cache_dir=cache_dir)
    assert (calls.check, calls.build) == (1, 1)


def test_the_key_changes_with_the_offtopic_data(tmp_path: Path) -> None:
    source = tmp_path / "nlu"
    shutil.copytree(cache.NLU_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    with (source / "offtopic.yaml").open("a", encoding="utf-8") as f:
        f.write("\n# another off-topic message\n")
    assert cache.source_hash(source) != cache.source_hash()


def test_the_content_key_covers_every_module_the_check_imports() -> None:
    code = (
        "import sys, bot.content.check\n"
        "for m in sorted(sys.modules):\n"
        "    file = getattr(sys.modules[m], '__file__', None)  # None: a namespace package\n"
        "    if m.split('.')[0] in ('bot', 'nlu', 'db') and file:\n"
        "        print(file)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    covered = {p.resolve() for pattern in CHECK_SOURCES for p in ROOT.glob(pattern)}
    covered |= set(cache.NLU_DIR.glob("*.py"))
    imported = {Path(line).resolve() for line in result.stdout.split()}
    assert imported and imported <= covered, sorted(map(str, imported - covered))


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    (tmp_path / "e5-vectors.npz").write_bytes(b"vectors")
    for i in range(5):
        cache.write(tmp_path, "classifier-tfidf", f"k{i}", i)
        os.utime(cache.path_for(tmp_path, "classifier-tfidf", f"k{i}"), (i, i))
    cache.write(tmp_path, "content", "c", "content")
    crashed, writing = (tmp_path / f".classifier-tfidf-k{i}.pkl.x.tmp" for i in (5, 6))
    crashed.write_bytes(b"half")
    os.utime(crashed, (0, 0))
    writing.write_bytes(b"half")
    cache.prune(tmp_path, "classifier-tfidf")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        ".classifier-tfidf-k6.pkl.x.tmp",
        "classifier-tfidf-k2.pkl",
        "classifier-tfidf-k3.pkl",
        "classifier-tfidf-k4.pkl",
        "content-c.pkl",
        "e5-vectors.npz",
    ]


def _with_our_language_model(cache_dir: Path) -> None:
    """These tests are about py3langid's model: our own (`nlu.langmodel`, seconds to train) is
    copied from the cache the session filled (tests/conftest.py)."""
    for path in bot.knowledge.DEFAULT_CACHE_DIR.glob("langmodel-*.pkl"):
        shutil.copy(path, cache_dir)


def test_py3langid_model_is_kept_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "паспортымды кожайын алып койды"
    expected = langid.identify(text, "ky")
    monkeypatch.setattr(langid._Detectors, "_ident", None)
    _with_our_language_model(tmp_path)
    langid.load_models(tmp_path)
    [path] = _files(tmp_path, "py3langid")
    monkeypatch.setattr(langid._Detectors, "_ident", None)
    monkeypatch.setattr(langid, "_py3langid", lambda langs: pytest.fail("loaded again"))
    langid.load_models(tmp_path)
    assert langid.identify(text, "ky") == expected
    assert langid.identify(text, "ky").scores == expected.scores
    assert path.stat().st_size < 8 * 2**20  # the weights; the automaton is memory-mapped:
    [tables] = tmp_path.glob("py3langid-*.npy")
    assert isinstance(langid._Detectors._ident.tk_nextmove.obj, np.memmap)
    assert tables.stat().st_size < 48 * 2**20


def test_py3langid_from_the_cache_ranks_as_py3langid_itself(tmp_path: Path) -> None:
    ident = langid._py3langid([*langid._BASE, *langid._OTHERS])
    langid._Detectors._ident = None
    _with_our_language_model(tmp_path)
    langid.load_models(tmp_path)
    texts = [text for text, _ in MESSAGES] + ["🙏 рахмет", "مرحبا hello", "日本語 и ru", "", "ß"]
    for text in texts:
        assert langid._Detectors._ident.rank(text) == ident.rank(text), text


def test_a_restart_classifies_without_scikit_learn_or_scipy(
    seeded: tuple[Path, Knowledge],
) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.knowledge import KnowledgeStore\n"
        "store = KnowledgeStore(Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))\n"
        "print(store.current().classifier.classify('сколько стоит патент', 'ru').intent)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'aiogram'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "content"), str(seeded[0])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    intent, imported = result.stdout.split("\n")[:2]
    assert intent == seeded[1].classifier.classify("сколько стоит патент", "ru").intent
    assert imported == "[]"


def test_a_semantic_classifier_pickles_without_its_embedder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nlu.semantic
    from tests.nlu.test_semantic import EXAMPLES, FakeEmbedder

    classifier = Classifier.build(
        EXAMPLES, {"passport_taken"}, backend="semantic", embedder=FakeEmbedder()
    )
    monkeypatch.setattr(nlu.semantic, "load_embedder", FakeEmbedder)
    loaded = pickle.loads(pickle.dumps(classifier))
    assert isinstance(loaded.scorer.embedder, FakeEmbedder)
    for text in ("патент сколько стоит", "забрали паспорт"):
        assert loaded.classify(text, "ru") == classifier.classify(text, "ru")
