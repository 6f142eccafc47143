"""A classifier read from the NLU cache scores from its file: its arrays are mapped from the
file read-only (pages the kernel can drop, shared by the bot's processes), not copied into
each process's heap; it decides as the classifier that was built."""

from __future__ import annotations

import logging
import mmap
from pathlib import Path

import numpy as np
import pytest

from nlu import cache
from nlu.classifier import Classifier

MESSAGES = ["сколько стоит патент", "patent qancha turadi", "паспортымды алып койду", "qqq"]


def _mapped(array: np.ndarray) -> bool:
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)


@pytest.fixture(scope="module")
def built() -> Classifier:
    examples = [
        ("patent", "ru", "сколько стоит патент"),
        ("patent", "uz", "patent qancha turadi"),
        ("patent", "ru", "как оплатить патент"),
        ("passport", "ky", "паспортымды алып койду"),
        ("passport", "ru", "работодатель забрал паспорт"),
        ("passport", "uz", "pasportimni olib qo'yishdi"),
    ]
    return Classifier.build(examples, ["passport"], offtopic=False)


def test_a_classifier_from_the_cache_scores_from_its_file_and_decides_the_same(
    built: Classifier, tmp_path: Path
) -> None:
    cache.write(tmp_path, "classifier-tfidf", "k", built)
    loaded = cache.read(cache.path_for(tmp_path, "classifier-tfidf", "k"), Classifier)
    assert loaded is not None
    scorer = loaded.scorer
    for array in (scorer.coef_t, scorer.index._matrix_t.data, scorer.index.blocks[0].terms):
        assert _mapped(array) and not array.flags.writeable
    for text in MESSAGES:
        assert loaded.classify(text, "ru") == built.classify(text, "ru")


def test_a_truncated_cache_file_is_rebuilt(
    built: Classifier, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache.write(tmp_path, "classifier-tfidf", "k", built)
    path = cache.path_for(tmp_path, "classifier-tfidf", "k")
    path.write_bytes(path.read_bytes()[:-100])
    with caplog.at_level(logging.WARNING, logger="nlu.cache"):
        assert cache.read(path, Classifier) is None
    assert "truncated" in caplog.text and "rebuilding" in caplog.text
