"""The index scores as scikit-learn and SciPy would: the same n-grams, rows and products."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.config import ROOT
from bot.content.loader import read_content
from bot.content.model import Content
from nlu.index import (
    ANALYZERS,
    CHAR_NGRAMS,
    CHAR_WEIGHT,
    WORD_TOKEN,
    WORD_WEIGHT,
    TfidfIndex,
    char_ngrams,
    expand,
    word_ngrams,
)
from nlu.normalize import fold

ODD = ["", " ", "a", "ab", "  два  пробела ", "o'zbek g‘alla", "ҳуҷҷат №5", "A\tB\nC", "x" * 9]


@pytest.fixture(scope="module")
def content() -> Content:
    content, _ = read_content(ROOT / "content")
    assert content is not None
    return content


@pytest.fixture(scope="module")
def keys(content: Content) -> list[str]:
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


def test_a_message_scores_as_with_scikit_learn_and_scipy(content: Content, keys: list[str]) -> None:
    """The index scores with NumPy alone: the same TF-IDF row as scikit-learn's `transform`
    and the same similarities as SciPy's sparse products, to float32 rounding."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    examples = expand([(e.intent, e.lang, e.text) for e in content.examples()])
    index = TfidfIndex(examples)
    fitted = [
        TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32).fit(
            [e.key for e in index.examples]
        )
        for analyzer in ANALYZERS
    ]
    messages = [*keys, "patent skolko stoit", "qqqq zzzz", "паспорт паспорт паспорт"]
    char, word = (v.transform(messages) for v in fitted)
    rows = sparse.hstack([CHAR_WEIGHT * char, WORD_WEIGHT * word], format="csr")
    sims = (rows @ index.matrix.T).toarray()
    cents = (rows @ normalize(index.onehot @ index.matrix).T).toarray()
    expected = index._fuse(sims, cents)
    for i, key in enumerate(messages):
        query = index.vectorize_one(key)
        mine = np.zeros(rows.shape[1], np.float32)
        mine[query.columns] = query.values
        np.testing.assert_allclose(mine, rows[i].toarray()[0], atol=1e-6, err_msg=key)
        np.testing.assert_allclose(index.score_query(query), expected[i], atol=1e-6, err_msg=key)
    assert index.vectorize(messages).shape == (len(messages), index.width)
