"""The n-grams the index scores with are the ones scikit-learn built it from."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.config import ROOT
from bot.content.loader import read_content
from nlu.index import CHAR_NGRAMS, WORD_TOKEN, char_ngrams, word_ngrams
from nlu.normalize import fold

ODD = ["", " ", "a", "ab", "  два  пробела ", "o'zbek g‘alla", "ҳуҷҷат №5", "A\tB\nC", "x" * 9]


@pytest.fixture(scope="module")
def keys() -> list[str]:
    content, _ = read_content(ROOT / "content")
    assert content is not None
    return [fold(e.text) for e in content.examples()][::3] + ODD + [t.upper() for t in ODD]


@pytest.mark.parametrize("low, high", [CHAR_NGRAMS, (1, 4)])
def test_char_ngrams_are_scikit_learns(keys: list[str], low: int, high: int) -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(low, high)).build_analyzer()
    for key in keys:
        assert char_ngrams(key, low, high) == analyzer(key), key


def test_word_ngrams_are_scikit_learns(keys: list[str]) -> None:
    analyzer = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), token_pattern=WORD_TOKEN.pattern
    ).build_analyzer()
    for key in keys:
        assert word_ngrams(key) == analyzer(key), key
