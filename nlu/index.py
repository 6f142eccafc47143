"""TF-IDF retrieval over the content's example questions (scikit-learn, sparse matrices).

Every example is reduced to its script-neutral key (`normalize.fold`) and represented by
TF-IDF weights of character n-grams (2-5, within words: robust to misspellings, endings and
mixed languages) and of words and word pairs (each word cut to its first 6 letters, so that
the endings of Kyrgyz, Kazakh, Uzbek, Tajik and Russian words do not split one stem). An id's
score for a message fuses
- the cosine similarity to its nearest example (good when one example says it), and
- the cosine similarity to the centroid of its examples (good when words are spread).
Ids are shared across languages, so all languages' examples vote for the same ids.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import sparse

from nlu.normalize import fold, without_apostrophes
from nlu.translit import cyrl_to_latn

CHAR_WEIGHT = 0.8  # squared weights of the two blocks add up to 1: rows stay unit length
WORD_WEIGHT = 0.6
NEAREST_WEIGHT = 0.4
CENTROID_WEIGHT = 0.6
WORD_STEM = 6  # letters of a word kept as its word feature
CHAR_NGRAMS = (2, 5)
# Words cut to their first 6 letters: the stem of a Turkic word without most of its endings
# (Kyrgyz "паспортумду", "паспортун" -> "paspor"), Russian likewise.
WORD_TOKEN = re.compile(rf"(?u)\b(\w{{1,{WORD_STEM}}})\w*\b")


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character n-grams of scikit-learn's `analyzer="char_wb"` (lowercased, each word
    padded with a space), without scikit-learn: it is needed only to build."""
    grams = []
    for word in text.lower().split():
        word = f" {word} "
        for n in range(low, high + 1):
            grams.extend(word[i : i + n] for i in range(max(1, len(word) - n + 1)))
            if len(word) <= n:  # a short word counts once
                break
    return grams


def word_ngrams(text: str) -> list[str]:
    """Word stems and pairs of stems, as scikit-learn's `analyzer="word"` with `WORD_TOKEN`
    and `ngram_range=(1, 2)` makes them."""
    words = WORD_TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


@dataclass(frozen=True)
class IndexedExample:
    intent: str
    lang: str
    text: str
    key: str  # fold(text)
    group: int  # examples that are versions of one another share a group (for CV)


def _group_of(lang: str, text: str) -> int:
    """Versions of one example (uz/uz-Cyrl, with/without apostrophes) get one group."""
    latin = cyrl_to_latn(text) if lang == "uz-Cyrl" else text
    return _hash(re.sub(r"[^a-z\u0400-\u04ff]", "", fold(without_apostrophes(latin))))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2s(text.encode(), digest_size=4).digest(), "big")


def expand(examples: Sequence[tuple[str, ...]]) -> list[IndexedExample]:
    """Keys of the examples, plus Uzbek ones as typed without o‘/g‘ apostrophes and Tajik
    ones with ҷ as Latin typists write it (j: "hujjat" for "ҳуҷҷат"; typed plainly it is ч,
    ch), deduplicated.

    An example is (intent, lang, text) or (intent, lang, text, group): translations of one
    question that share a group name stay in one cross-validation fold.
    """
    seen: set[tuple[str, str]] = set()
    result: list[IndexedExample] = []
    for intent, lang, text, *named in examples:
        variants = [text]
        if lang in ("uz", "uz-Cyrl") and without_apostrophes(text) != text:
            variants.append(without_apostrophes(text))
        if lang == "tg" and "ҷ" in text.casefold():
            variants.append(text.replace("ҷ", "ж").replace("Ҷ", "Ж"))
        group = _hash(named[0]) if named else _group_of(lang, text)
        for variant in variants:
            key = fold(variant)
            if key and (intent, key) not in seen:
                seen.add((intent, key))
                result.append(IndexedExample(intent, lang, text, key, group))
    return result


ANALYZERS = (lambda key: char_ngrams(key, *CHAR_NGRAMS), word_ngrams)


class TfidfIndex:
    """Scores ids by similarity of a message to their examples."""

    def __init__(self, examples: Sequence[IndexedExample]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize as l2_normalize

        if not examples:
            raise ValueError("no examples to build the index from")
        order = sorted(range(len(examples)), key=lambda i: examples[i].intent)
        self.examples = [examples[i] for i in order]
        self.ids: tuple[str, ...] = tuple(dict.fromkeys(e.intent for e in self.examples))
        labels = np.array([self.ids.index(e.intent) for e in self.examples])
        self.labels = labels
        self.starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        keys = [e.key for e in self.examples]
        char, word = (
            TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32)
            for analyzer in ANALYZERS
        )
        self.matrix = self._stack(char.fit_transform(keys), word.fit_transform(keys))
        # What scoring a message needs (`vectorize_one`): the n-grams' columns and weights.
        self.blocks = tuple(
            (v.vocabulary_, v.idf_, weight)
            for v, weight in ((char, CHAR_WEIGHT), (word, WORD_WEIGHT))
        )
        self.onehot = sparse.csr_matrix(
            (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
            shape=(len(self.ids), len(labels)),
        )
        self._matrix_t = self.matrix.T.tocsr()
        self._centroids_t = l2_normalize(self.onehot @ self.matrix).T.tocsr()

    def __getstate__(self) -> dict:
        """Kept (`nlu.cache`) without the example matrix: only building uses it (the SVM,
        cross-validation), scoring uses its transpose."""
        return {k: v for k, v in self.__dict__.items() if k != "matrix"}

    @staticmethod
    def _stack(char: sparse.spmatrix, word: sparse.spmatrix) -> sparse.csr_matrix:
        return sparse.hstack([CHAR_WEIGHT * char, WORD_WEIGHT * word], format="csr")

    def vectorize(self, keys: Sequence[str]) -> sparse.csr_matrix:
        return sparse.vstack([self.vectorize_one(key) for key in keys], format="csr")

    def vectorize_one(self, key: str) -> sparse.csr_matrix:
        """One folded message as a row of the index's features (TF-IDF, as scikit-learn's
        `transform` computes it, without its per-call overhead: 2 ms of a message's 3)."""
        columns, values, offset = [], [], 0
        for (vocabulary, idf, weight), analyzer in zip(self.blocks, ANALYZERS, strict=True):
            counts = Counter(vocabulary[gram] for gram in analyzer(key) if gram in vocabulary)
            if counts:
                column = np.fromiter(counts, np.int64, len(counts))
                tf = np.fromiter(counts.values(), np.float32, len(counts))
                value = (1 + np.log(tf)) * idf[column].astype(np.float32)
                columns.append(column + offset)
                values.append(value * (weight / np.linalg.norm(value)))
            offset += len(vocabulary)
        column = np.concatenate(columns) if columns else np.zeros(0, np.int64)
        value = np.concatenate(values) if values else np.zeros(0, np.float32)
        return sparse.csr_matrix((value, column, [0, len(column)]), shape=(1, offset))

    def scores(self, key: str) -> np.ndarray:
        """Fused score of every id (in `self.ids` order) for one folded message."""
        return self.score_vectors(self.vectorize_one(key))[0]

    def score_vectors(self, queries: sparse.csr_matrix) -> np.ndarray:
        sims = (queries @ self._matrix_t).toarray()
        cents = (queries @ self._centroids_t).toarray()
        return self._fuse(sims, cents)

    def folds(self, n_folds: int) -> np.ndarray:
        """The cross-validation fold of every example; versions of one example share one."""
        return np.array([e.group % n_folds for e in self.examples])

    def _fuse(self, sims: np.ndarray, cents: np.ndarray) -> np.ndarray:
        nearest = np.maximum.reduceat(sims, self.starts, axis=1)
        return NEAREST_WEIGHT * nearest + CENTROID_WEIGHT * cents

    def cross_validate(self, n_folds: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every example by an index without its fold: (scores, true label)."""
        from sklearn.preprocessing import normalize as l2_normalize

        folds = self.folds(n_folds)
        result = np.zeros((len(self.examples), len(self.ids)), dtype=np.float32)
        for f in range(n_folds):
            rows = np.flatnonzero(folds == f)
            if not len(rows):
                continue
            keep = (folds != f).astype(np.float32)
            sims = (self.matrix[rows] @ self._matrix_t).toarray()
            sims[:, folds == f] = -1.0
            sums = self.onehot @ sparse.diags(keep) @ self.matrix
            cents = (self.matrix[rows] @ l2_normalize(sums).T).toarray()
            fused = self._fuse(sims, cents)
            # An id with no example outside the fold cannot be found: score it 0.
            present = (self.onehot @ keep) > 0
            fused[:, ~present] = 0.0
            result[rows] = fused
        return result, self.labels.copy()
