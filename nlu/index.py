"""TF-IDF retrieval over the content's example questions (built with scikit-learn and SciPy).

Every example is reduced to its script-neutral key (`normalize.fold`) and represented by
TF-IDF weights of character n-grams (2-5, within words: robust to misspellings, endings and
mixed languages) and of words and word pairs (each word cut to its first 6 letters, so that
the endings of Kyrgyz, Kazakh, Uzbek, Tajik and Russian words do not split one stem). An id's
score for a message fuses
- the cosine similarity to its nearest example (good when one example says it), and
- the cosine similarity to the centroid of its examples (good when words are spread).
Ids are shared across languages, so all languages' examples vote for the same ids.

Scoring a message needs only NumPy: the index keeps its vocabularies as sorted arrays and its
matrices as plain CSR arrays (`Rows`), so a bot that loads a built index from the cache
imports neither scikit-learn nor SciPy (11 MB of memory).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np

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


class Query(NamedTuple):
    """A message as a sparse row of the index's features: its columns and their weights."""

    columns: np.ndarray  # int64, each column once
    values: np.ndarray  # float32


class Rows(NamedTuple):
    """A sparse matrix as its CSR arrays (SciPy's layout), multiplied by a query in NumPy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    width: int

    @classmethod
    def of(cls, matrix) -> Rows:  # type: ignore[no-untyped-def]
        csr = matrix.tocsr()
        return cls(csr.indptr, csr.indices, csr.data, csr.shape[1])

    def times(self, query: Query) -> np.ndarray:
        """The query's row times this matrix: a dense row of `width` (float32)."""
        starts, ends = self.indptr[query.columns], self.indptr[query.columns + 1]
        lengths = ends - starts
        # The positions of all entries of the query's rows, row after row.
        at = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        weights = self.data[at] * np.repeat(query.values, lengths)
        return np.bincount(self.indices[at], weights, self.width).astype(np.float32)


class Vocabulary(NamedTuple):
    """One block of features: its n-grams sorted (the column of an n-gram is its place, as
    in scikit-learn's `vocabulary_`), their idf, and the block's weight."""

    terms: np.ndarray  # a NumPy string array: 2 MB for both blocks where a dict took 7
    idf: np.ndarray
    weight: float

    @classmethod
    def of(cls, vectorizer, weight: float) -> Vocabulary:  # type: ignore[no-untyped-def]
        terms = [""] * len(vectorizer.vocabulary_)
        for term, column in vectorizer.vocabulary_.items():
            terms[column] = term
        if terms != sorted(terms):
            raise ValueError("scikit-learn's vocabulary is not in sorted order")
        return cls(np.array(terms), vectorizer.idf_, weight)

    def columns(self, grams: list[str]) -> np.ndarray:
        """The columns of the n-grams that are in the vocabulary, once per occurrence.
        (NumPy strings drop trailing NULs; `normalize.fold` keys have none.)"""
        if not grams:
            return np.zeros(0, np.int64)
        wanted = np.array(grams)
        at = np.minimum(np.searchsorted(self.terms, wanted), len(self.terms) - 1)
        return at[self.terms[at] == wanted]


class TfidfIndex:
    """Scores ids by similarity of a message to their examples."""

    def __init__(self, examples: Sequence[IndexedExample]):
        from scipy import sparse
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
        char_x, word_x = char.fit_transform(keys), word.fit_transform(keys)
        # Only building uses these two (the SVM, cross-validation): they are not kept.
        self.matrix = sparse.hstack([CHAR_WEIGHT * char_x, WORD_WEIGHT * word_x], format="csr")
        self.onehot = sparse.csr_matrix(
            (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
            shape=(len(self.ids), len(labels)),
        )
        # What scoring a message needs: its n-grams' columns and weights, and the matrices.
        self.blocks = (Vocabulary.of(char, CHAR_WEIGHT), Vocabulary.of(word, WORD_WEIGHT))
        self.width = self.matrix.shape[1]
        self._matrix_t = Rows.of(self.matrix.T)
        self._centroids_t = Rows.of(l2_normalize(self.onehot @ self.matrix).T)

    def __getstate__(self) -> dict:
        """Kept (`nlu.cache`) without what only building uses (the examples, 3 MiB, and the
        SciPy matrices): an index read from the cache scores, it does not build or validate."""
        built = ("matrix", "onehot", "examples")
        return {k: v for k, v in self.__dict__.items() if k not in built}

    def vectorize(self, keys: Sequence[str]):  # type: ignore[no-untyped-def]
        """Folded messages as the rows of a SciPy sparse matrix (for grouping gaps)."""
        from scipy import sparse

        queries = [self.vectorize_one(key) for key in keys]
        return sparse.csr_matrix(
            (
                np.concatenate([q.values for q in queries]),
                np.concatenate([q.columns for q in queries]),
                np.cumsum([0, *(len(q.columns) for q in queries)]),
            ),
            shape=(len(queries), self.width),
        )

    def vectorize_one(self, key: str) -> Query:
        """One folded message as the index's features (TF-IDF, as scikit-learn's `transform`
        computes it, without its per-call overhead)."""
        columns, values, offset = [], [], 0
        for vocabulary, analyzer in zip(self.blocks, ANALYZERS, strict=True):
            found = vocabulary.columns(analyzer(key))
            if len(found):
                column, count = np.unique(found, return_counts=True)
                tf = count.astype(np.float32)
                value = (1 + np.log(tf)) * vocabulary.idf[column].astype(np.float32)
                columns.append(column + offset)
                values.append(value * (vocabulary.weight / np.linalg.norm(value)))
            offset += len(vocabulary.terms)
        if not columns:
            return Query(np.zeros(0, np.int64), np.zeros(0, np.float32))
        return Query(np.concatenate(columns), np.concatenate(values))

    def scores(self, key: str) -> np.ndarray:
        """Fused score of every id (in `self.ids` order) for one folded message."""
        return self.score_query(self.vectorize_one(key))

    def score_query(self, query: Query) -> np.ndarray:
        sims = self._matrix_t.times(query)[None, :]
        cents = self._centroids_t.times(query)[None, :]
        return self._fuse(sims, cents)[0]

    def folds(self, n_folds: int) -> np.ndarray:
        """The cross-validation fold of every example; versions of one example share one."""
        return np.array([e.group % n_folds for e in self.examples])

    def _fuse(self, sims: np.ndarray, cents: np.ndarray) -> np.ndarray:
        nearest = np.maximum.reduceat(sims, self.starts, axis=1)
        return NEAREST_WEIGHT * nearest + CENTROID_WEIGHT * cents

    def cross_validate(self, n_folds: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every example by an index without its fold: (scores, true label)."""
        from scipy import sparse
        from sklearn.preprocessing import normalize as l2_normalize

        folds = self.folds(n_folds)
        result = np.zeros((len(self.examples), len(self.ids)), dtype=np.float32)
        matrix_t = self.matrix.T.tocsr()
        for f in range(n_folds):
            rows = np.flatnonzero(folds == f)
            if not len(rows):
                continue
            keep = (folds != f).astype(np.float32)
            sims = (self.matrix[rows] @ matrix_t).toarray()
            sims[:, folds == f] = -1.0
            sums = self.onehot @ sparse.diags(keep) @ self.matrix
            cents = (self.matrix[rows] @ l2_normalize(sums).T).toarray()
            fused = self._fuse(sims, cents)
            # An id with no example outside the fold cannot be found: score it 0.
            present = (self.onehot @ keep) > 0
            fused[:, ~present] = 0.0
            result[rows] = fused
        return result, self.labels.copy()
