"""Scorers: give every id a score for a message; also cross-validated scores for calibration.

`TfidfScorer` (the default backend): the retrieval scores of `index.TfidfIndex` (nearest
example and centroid) fused with the decision values of a linear SVM trained on the same
TF-IDF features, which learns which n-grams tell the ids apart. `semantic.SemanticScorer`
adds sentence embeddings.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

from nlu.index import IndexedExample, TfidfIndex

SVM_WEIGHT = 0.6  # share of the linear model in the TF-IDF score; the rest is retrieval
SVM_C = 1.0
SVM_TOL = 1e-2  # looser than the default: 3x faster to build, same accuracy in CV


class Scorer(Protocol):
    ids: tuple[str, ...]
    index: TfidfIndex
    examples: list[IndexedExample]

    def scores(self, key: str, text: str) -> np.ndarray: ...

    def cross_validate(self, n_folds: int) -> tuple[np.ndarray, np.ndarray]: ...


class Linear(NamedTuple):
    """What scoring needs of a fitted LinearSVC (scikit-learn is needed only to fit it)."""

    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray
    classes: np.ndarray  # the labels the model saw


def _svm(x, y) -> Linear:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearSVC(C=SVM_C, tol=SVM_TOL).fit(x, y)
    return Linear(model.coef_, model.intercept_, model.classes_)


class TfidfScorer:
    def __init__(self, examples: Sequence[IndexedExample]):
        self.index = TfidfIndex(examples)
        self.ids = self.index.ids
        svm = _svm(self.index.matrix, self.index.labels)
        # Kept in float32 (8 MB less; scores change in the seventh digit) and by feature, as
        # (features, classes): a message's few n-grams are a few pages of the cache's file
        # (`nlu.cache` maps it), where a row per class would touch a page of every row.
        self.coef_t = np.ascontiguousarray(svm.coef.T, dtype=np.float32)
        self.intercept, self.classes = svm.intercept, svm.classes

    @property
    def examples(self) -> list[IndexedExample]:
        """The examples it was built from (only while building: the cache keeps none)."""
        return self.index.examples

    def _svm_scores(self, classes: np.ndarray, decision: np.ndarray) -> np.ndarray:
        """LinearSVC's decision values (`x @ coef.T + intercept`) in `ids` order (an id the
        model never saw scores -1)."""
        out = np.full((decision.shape[0], len(self.ids)), -1.0, dtype=np.float32)
        if decision.shape[1] == 1:  # two classes
            decision = np.concatenate([-decision, decision], axis=1)
        out[:, classes] = decision
        return out

    def scores(self, key: str, text: str = "") -> np.ndarray:
        query = self.index.vectorize_one(key)
        coef = np.ascontiguousarray(self.coef_t[query.columns].T, dtype=np.float64)
        svm = self._svm_scores(self.classes, (coef @ query.values + self.intercept)[None, :])
        return SVM_WEIGHT * svm[0] + (1 - SVM_WEIGHT) * self.index.score_query(query)

    def cross_validate(self, n_folds: int = 4) -> tuple[np.ndarray, np.ndarray]:
        retrieval, labels = self.index.cross_validate(n_folds)
        folds = self.index.folds(n_folds)
        svm = np.full_like(retrieval, -1.0)
        x = self.index.matrix
        for f in range(n_folds):
            test = folds == f
            if not test.any() or test.all():
                continue
            train = ~test
            if len(np.unique(labels[train])) < 2:
                continue
            model = _svm(x[train], labels[train])
            svm[test] = self._svm_scores(model.classes, x[test] @ model.coef.T + model.intercept)
        return SVM_WEIGHT * svm + (1 - SVM_WEIGHT) * retrieval, labels
