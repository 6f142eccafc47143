"""A character n-gram model of our five languages as people type them: plain and Latin.

People without a Kazakh, Kyrgyz or Tajik keyboard type the special letters as Russian
look-alikes, or type everything in Latin letters. Detectors trained on edited text (py3langid,
cld2) lose Kazakh to Kyrgyz then, and take all Latin text for Uzbek. This model reads the
script-neutral key of `nlu.normalize.fold` (plain letters, Latin spelling), so Cyrillic,
plain-typed and Latin-typed text of one language look alike to it.

The trained model is one committed file, `nlu/data/langmodel.npz` (its README says what it
was trained on), loaded memory-mapped at start-up (`LangModel.load`): no training then.
`scripts/langid_corpus.py` writes the training text to `var/langid-corpus/<lang>.txt`
(outside git: the project's own content and sentences of fetched public corpora) and trains
the model from it (`LangModel.train`): each line also in 2-8 word pieces, and each Cyrillic
piece also typed in Latin the ways people do (ж as j or zh, қ as q or k, ы as y or i:
`TYPED`, drawn at random with a fixed seed). Multinomial naive Bayes over char 1-5-grams of
words (a 5-gram with its spaces is a whole three-letter word: "дар", "жок"): training takes
a few seconds; scoring a message takes about 0.3 ms.
"""

from __future__ import annotations

import json
import mmap
import random
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from nlu.index import char_ngrams
from nlu.normalize import fold

LANGS = ("kk", "ky", "tg", "uz", "ru", "other")  # "other": none of ours, in Latin letters
ARTIFACT = Path(__file__).resolve().parent / "data" / "langmodel.npz"
CORPUS = Path(__file__).resolve().parent.parent / "var" / "langid-corpus"  # not in git
SEED = 20261203
NGRAMS = (1, 5)  # characters, within words
MAX_BYTES = 8  # of an n-gram in UTF-8
_APOSTROPHES = re.compile(r"[‘’ʻʼ'`´]")

# How a Cyrillic letter is typed in Latin letters: spellings with their relative weights.
TYPED: dict[str, tuple[tuple[str, float], ...]] = {
    "в": (("v", 1), ("w", 0.1)),
    "е": (("e", 1), ("ye", 0.1)),
    "ё": (("yo", 1), ("e", 0.3)),
    "ж": (("j", 1), ("zh", 0.8)),
    "й": (("y", 1), ("i", 0.3), ("j", 0.1)),
    "у": (("u", 1), ("w", 0.1)),
    "х": (("h", 1), ("x", 0.5), ("kh", 0.4)),
    "ц": (("ts", 1), ("c", 0.5)),
    "щ": (("sh", 1), ("sch", 0.3)),
    "ы": (("y", 1), ("i", 0.7)),
    "ь": (("", 1), ("'", 0.2)),
    "ю": (("yu", 1), ("iu", 0.2)),
    "я": (("ya", 1), ("ia", 0.2)),
    "ә": (("a", 1), ("ä", 0.3), ("ae", 0.1)),
    "ғ": (("g", 1), ("gh", 0.5), ("ğ", 0.1)),
    "қ": (("q", 1), ("k", 1)),
    "ң": (("n", 1), ("ng", 0.6), ("ñ", 0.1)),
    "ө": (("o", 1), ("ö", 0.3)),
    "ұ": (("u", 1), ("ū", 0.1)),
    "ү": (("u", 1), ("ü", 0.4)),
    "і": (("i", 1),),
    "ӯ": (("u", 1), ("oo", 0.1)),
    "ҳ": (("h", 1), ("x", 0.3)),
    "ҷ": (("j", 1), ("ch", 0.3)),
    "ў": (("o'", 1), ("o", 0.5), ("u", 0.3)),
}
_SIMPLE = dict(
    zip(
        "абгдзиклмнопрстфчшъэһӣ",
        "a b g d z i k l m n o p r s t f ch sh - e h i".split(),
        strict=True,
    )
)


def typed_latin(text: str, rng: random.Random) -> str:
    """`text` (Cyrillic) typed in Latin letters, one of the ways people do."""
    out = []
    for ch in text.lower():
        if ch in _SIMPLE:
            out.append("" if _SIMPLE[ch] == "-" else _SIMPLE[ch])
            continue
        spellings = TYPED.get(ch)
        if spellings is None:
            out.append(ch)
            continue
        pick = rng.random() * sum(w for _, w in spellings)
        for spelling, weight in spellings:
            pick -= weight
            if pick <= 0:
                out.append(spelling)
                break
    return "".join(out)


def _pieces(line: str, rng: random.Random) -> list[str]:
    words = line.split()
    pieces = [line]
    if len(words) > 4:
        for _ in range(2):
            k = rng.randint(2, 8)
            start = rng.randint(0, len(words) - k) if len(words) > k else 0
            pieces.append(" ".join(words[start : start + k]))
    return pieces


def training_set(lines_by_lang: dict[str, list[str]], seed: int = SEED):  # type: ignore[no-untyped-def]
    """(keys, labels): every piece folded, and typed another way (Latin, or for Uzbek Latin
    without its apostrophes)."""
    rng = random.Random(seed)
    keys: list[str] = []
    labels: list[str] = []
    for lang, lines in lines_by_lang.items():
        for line in lines:
            for piece in _pieces(line, rng):
                cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in piece)
                other = typed_latin(piece, rng) if cyrillic else _APOSTROPHES.sub("", piece)
                for variant in (piece, other):
                    keys.append(fold(variant))
                    labels.append(lang)
    return keys, labels


def corpus(folder: Path = CORPUS) -> dict[str, list[str]]:
    """The training text that `scripts/langid_corpus.py` wrote, one line a text."""
    return {
        lang: [s for s in (folder / f"{lang}.txt").read_text("utf-8").splitlines() if s.strip()]
        for lang in LANGS
    }


# Letters and spellings whose fold the model was trained on: a change of `fold` that moves
# any of them makes the committed model stale.
_FOLD_PROBE = " ".join(
    [
        *sorted(set(TYPED) | set(_SIMPLE)),
        *"abcdefghijklmnopqrstuvwxyz'’ʻ",
        *"o‘g‘ sh ch zh kh gh ng sch ye ts ёрдам ещё iшкi".split(),
    ]
)


def features() -> dict[str, object]:
    """What scoring reads a text as: recorded in the model file, checked when it loads."""
    return {"ngrams": list(NGRAMS), "max_bytes": MAX_BYTES, "fold": fold(_FOLD_PROBE)}


class StaleModel(RuntimeError):
    """The model file was trained on other features than the code's."""


class LangModel:
    """P(language | folded text) over `LANGS`.

    Scoring repeats what scikit-learn's TfidfVectorizer and MultinomialNB compute, for one
    short text without their per-call overhead (2 ms there, 0.3 ms here). Its n-grams are
    kept as one sorted array of UTF-8 bytes (`fold` keys are nearly all ASCII: 8 bytes an
    n-gram where NumPy's str array took 20) and their log-probabilities as float16 (within
    0.008 of float32's, for half the bytes): 3.3 MiB in all, pages of the model file."""

    def __init__(
        self, langs: tuple[str, ...], terms: np.ndarray, idf: np.ndarray, log_probs: np.ndarray
    ):
        self.langs = langs
        self._terms = terms  # (features,) sorted n-grams, UTF-8
        self._idf = idf  # (features,) float32
        self._log_probs = log_probs  # (features, languages) float16

    @classmethod
    def train(cls, lines_by_lang: dict[str, list[str]]) -> LangModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import MultinomialNB

        keys, labels = training_set(lines_by_lang)
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=2, dtype=np.float32
        )
        # Uniform priors: how much text a language has says nothing of who writes.
        nb = MultinomialNB(alpha=0.05, fit_prior=False).fit(vectorizer.fit_transform(keys), labels)
        # n-grams of other scripts (over 8 bytes: a Japanese name in one line) are left out
        terms = [t for t in sorted(vectorizer.vocabulary_) if len(t.encode()) <= MAX_BYTES]
        columns = [vectorizer.vocabulary_[term] for term in terms]
        return cls(
            tuple(str(c) for c in nb.classes_),
            np.array([term.encode() for term in terms], dtype=f"S{MAX_BYTES}"),
            vectorizer.idf_[columns].astype(np.float32),
            np.ascontiguousarray(nb.feature_log_prob_.T[columns], dtype=np.float16),
        )

    def save(self, path: Path = ARTIFACT, **about: object) -> None:
        """One uncompressed .npz (so that `load` can map it): the arrays, the languages and
        `features()` with `about` (where the training text came from) as JSON."""
        meta = json.dumps({"features": features(), **about}, ensure_ascii=False, sort_keys=True)
        np.savez(
            path,
            terms=self._terms,
            idf=self._idf,
            log_probs=self._log_probs,
            langs=np.array(self.langs),
            meta=np.array(meta),
        )

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> LangModel:
        """The model of `path`, its arrays memory-mapped read-only (pages the bot's processes
        share and the kernel may drop); `StaleModel` if the code reads text otherwise."""
        arrays = _mapped_npz(path)
        recorded, expected = json.loads(str(arrays["meta"]))["features"], features()
        changed = [
            f"{key} {recorded.get(key)!r} in the file, {expected.get(key)!r} in the code"
            for key in sorted({*recorded, *expected})
            if recorded.get(key) != expected.get(key)
        ]
        if changed:
            raise StaleModel(
                f"{path} is stale: {'; '.join(changed)}. Train it again:"
                " .venv/bin/python scripts/langid_corpus.py --ud /work/.mirror"
            )
        langs = tuple(str(lang) for lang in arrays["langs"])
        return cls(langs, arrays["terms"], arrays["idf"], arrays["log_probs"])

    def log_probs(self, text: str) -> dict[str, float]:
        """Log-probabilities of the languages for `text` (any script); empty without letters."""
        grams = np.array([gram.encode() for gram in char_ngrams(fold(text), *NGRAMS)])
        if not len(grams):
            return {}
        at = np.minimum(np.searchsorted(self._terms, grams), len(self._terms) - 1)
        found = at[self._terms[at] == grams]
        if not len(found):
            return {}
        columns, counts = np.unique(found, return_counts=True)
        tf = 1.0 + np.log(counts.astype(np.float32))
        weights = tf * self._idf[columns]
        weights /= np.sqrt(np.dot(weights, weights))
        joint = weights @ self._log_probs[columns].astype(np.float32)
        joint -= joint.max()
        joint -= np.log(np.exp(joint).sum())
        return dict(zip(self.langs, joint.tolist(), strict=True))


_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed .npz (`np.savez`), mapped read-only from the file:
    `np.load` maps a .npy but reads a .npz into memory. Object arrays are refused."""
    arrays = {}
    with path.open("rb") as f, zipfile.ZipFile(f) as archive:
        view = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{path}: {info.filename} is compressed")
            f.seek(info.header_offset + 26)  # the member's local header: its name's and
            name_length, extra_length = struct.unpack("<HH", f.read(4))  # extra's lengths
            f.seek(info.header_offset + 30 + name_length + extra_length)
            read_header = _NPY_HEADERS.get(np.lib.format.read_magic(f))
            if read_header is None:
                raise ValueError(f"{path}: {info.filename} is not a .npy of version 1 or 2")
            shape, fortran, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{path}: {info.filename} holds objects")
            order = "F" if fortran else "C"
            array = np.ndarray(shape, dtype, buffer=view, offset=f.tell(), order=order)
            arrays[info.filename.removesuffix(".npy")] = array
    return arrays
