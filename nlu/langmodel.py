"""A character n-gram model of our five languages as people type them: plain and Latin.

People without a Kazakh, Kyrgyz or Tajik keyboard type the special letters as Russian
look-alikes, or type everything in Latin letters. Detectors trained on edited text (py3langid,
cld2) lose Kazakh to Kyrgyz then, and take all Latin text for Uzbek. This model reads the
script-neutral key of `nlu.normalize.fold` (plain letters, Latin spelling), so Cyrillic,
plain-typed and Latin-typed text of one language look alike to it.

Training text is `nlu/data/langid/<lang>.txt` (see its README: the project's own content,
Universal Dependencies and KazNERD sentences), each line also in 2-8 word pieces, and each
Cyrillic piece also typed in Latin the ways people do (ж as j or zh, қ as q or k, ы as y or
i: `TYPED`, drawn at random with a fixed seed). Multinomial naive Bayes over char 1-5-grams
of words (a 5-gram with its spaces is a whole three-letter word: "дар", "жок"):
training takes a few seconds, kept in the NLU cache; scoring a message takes about 0.3 ms.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np

from nlu.index import char_ngrams
from nlu.normalize import fold

LANGS = ("kk", "ky", "tg", "uz", "ru", "other")  # "other": none of ours, in Latin letters
DATA = Path(__file__).resolve().parent / "data" / "langid"
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


def corpus(folder: Path = DATA) -> dict[str, list[str]]:
    return {
        lang: [s for s in (folder / f"{lang}.txt").read_text("utf-8").splitlines() if s.strip()]
        for lang in LANGS
    }


class LangModel:
    """P(language | folded text) over `LANGS`.

    Scoring repeats what scikit-learn's TfidfVectorizer and MultinomialNB compute, for one
    short text without their per-call overhead (2 ms there, 0.3 ms here). Its n-grams are
    kept as one sorted array of UTF-8 bytes (`fold` keys are nearly all ASCII: 8 bytes an
    n-gram where NumPy's str array took 20) and their log-probabilities as float16 (within
    0.008 of float32's, for half the bytes): 3.3 MiB in all."""

    def __init__(self, lines_by_lang: dict[str, list[str]]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import MultinomialNB

        keys, labels = training_set(lines_by_lang)
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=2, dtype=np.float32
        )
        # Uniform priors: how much text a language has says nothing of who writes.
        nb = MultinomialNB(alpha=0.05, fit_prior=False).fit(vectorizer.fit_transform(keys), labels)
        self.langs: tuple[str, ...] = tuple(str(c) for c in nb.classes_)
        # n-grams of other scripts (over 8 bytes: a Japanese name in one line) are left out
        terms = [t for t in sorted(vectorizer.vocabulary_) if len(t.encode()) <= MAX_BYTES]
        columns = [vectorizer.vocabulary_[term] for term in terms]
        self._terms = np.array([term.encode() for term in terms], dtype=f"S{MAX_BYTES}")
        self._idf = vectorizer.idf_[columns].astype(np.float32)
        # (features, languages): each n-gram's log-probability per language
        self._log_probs = np.ascontiguousarray(nb.feature_log_prob_.T[columns], dtype=np.float16)

    @classmethod
    def build(cls) -> LangModel:
        return cls(corpus())

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
