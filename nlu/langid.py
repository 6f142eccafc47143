"""Which language variant a message is in: letters, two offline detectors and a prior.

Evidence is combined as a product of likelihoods (in log space):
- py3langid (naive Bayes over byte n-grams) restricted to our languages and a few others,
- pycld2 (Compact Language Detector 2) as a second, weaker voice,
- letters that only some of the languages use (ә і ұ һ -> kk; ӣ ӯ ҷ -> tg; ў -> uz; ...),
- the user's chosen language as a prior, which matters for short or plain-letter messages.
The detectors' votes are tempered for short messages, where they are overconfident.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlu.langmodel import LangModel
from nlu.languages import OTHER, USER_LANGS

_BASE = ("kk", "ky", "tg", "uz", "ru")  # what the detectors know; uz covers both scripts
# Languages the detectors may choose instead of ours; their mass becomes "other".
_OTHERS = ("en", "tr", "de", "fr", "es", "it", "uk", "be", "bg", "mn", "az", "tt", "ba", "fa")

# Letters and the base languages that use them (beyond the Russian alphabet).
_LETTERS: dict[str, tuple[str, ...]] = {
    "ә": ("kk",),
    "і": ("kk",),
    "ұ": ("kk",),
    "һ": ("kk",),
    "ғ": ("kk", "tg", "uz"),
    "қ": ("kk", "tg", "uz"),
    "ң": ("kk", "ky"),
    "ө": ("kk", "ky"),
    "ү": ("kk", "ky"),
    "ӣ": ("tg",),
    "ӯ": ("tg",),
    "ҷ": ("tg",),
    "ҳ": ("tg", "uz"),
    "ў": ("uz",),
    "щ": ("ru", "kk", "ky"),
    "ы": ("ru", "kk", "ky"),
}
_MISMATCH = math.log(0.03)  # likelihood factor per marker letter a language does not use
_MARKER_CAP = 3  # at most this many occurrences of one marker letter count
_UZ_APOSTROPHE = re.compile(r"[a-z][og][\'`‘’ʻʼ´][a-z]|\b[og][\'`‘’ʻʼ´][a-z]", re.IGNORECASE)
_UZ_WORDS = frozenset(
    "va uchun bilan qanday qayerda qaerda qancha nima nega kerak menga mening bormi yoq "
    "emas ham yoki lekin qachon qilish qilib bo'ladi bo'lsa ishlash ish hujjat pasport "
    "olish olib berdi bermayapti qildi qiling kerakmi mumkin mumkinmi qaysi qanaqa "
    "shu bu u men siz biz ular edi bor".split()
)
# Kazakh і typed as Latin i inside a Cyrillic word.
_LATIN_I_IN_CYRILLIC = re.compile(r"(?<=[\u0400-\u04ff])[iı]|[iı](?=[\u0400-\u04ff])")
# How much each voice counts (py3langid, cld2, our model), for Cyrillic and for Latin text:
# the detectors know edited Cyrillic text well, our model knows plain and Latin typing.
# Chosen on development text (`benchmarks/nlu_langid_dev.py`), never on the test sets.
_CYRILLIC_WEIGHTS = (1.0, 1.0, 1.25)
_LATIN_WEIGHTS = (0.3, 0.1, 1.0)
_MODEL_FLOOR = math.log(1e-4)
_LETTER = re.compile(r"[^\W\d_]")
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[\d#@]\S*")


@dataclass(frozen=True)
class LangGuess:
    lang: str  # one of USER_LANGS, or "other"
    confidence: float  # 0..1
    scores: dict[str, float] = field(default_factory=dict, compare=False)


class _Detectors:
    """The models load once, on first use or by `load_models`: py3langid's (about 1 s, most of
    it decompressing the model file; from the cache, 0.2 s) and ours (`nlu.langmodel`, mapped
    from its committed file)."""

    _lock = threading.Lock()
    _ident = None
    _model: LangModel | None = None

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> None:
        if cls._ident is not None:
            return
        with cls._lock:
            if cls._ident is None:
                from nlu import cache

                langs = [*_BASE, *_OTHERS]
                key = cache.digest("py3langid", langs, cache.source_hash(), cache.versions())
                cls._model = LangModel.load()
                full = functools.cache(lambda: _py3langid(langs))
                weights = cache.cached(
                    cache_dir, "py3langid", key, _Weights, lambda: _Weights.of(full())
                )
                tables = cache.cached_array(cache_dir, "py3langid", key, lambda: _tables(full()))
                cls._ident = weights.identifier(tables)

    @classmethod
    def py3langid(cls, text: str) -> dict[str, float]:
        if cls._ident is None:
            cls.load()
        return dict(cls._ident.rank(text))

    @classmethod
    def model(cls, text: str) -> dict[str, float]:
        if cls._model is None:
            cls.load()
        assert cls._model is not None
        return cls._model.log_probs(text)

    @staticmethod
    def cld2(text: str) -> tuple[str, float]:
        """The top language and how much to trust it (0 when cld2 abstains)."""
        import pycld2

        try:
            reliable, _, details = pycld2.detect(text, bestEffort=True)
        except pycld2.error:
            return "un", 0.0
        code, percent = details[0][1], details[0][2]
        if code == "un":
            return "un", 0.0
        return code, (0.7 if reliable else 0.4) * percent / 100


def _py3langid(langs: list[str]):  # type: ignore[no-untyped-def]
    """py3langid's identifier restricted to `langs` (1 s: decompressing its model)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(langs)
    return ident


def _tables(ident) -> np.ndarray:  # type: ignore[no-untyped-def]
    """py3langid's feature automaton as one int32 array: transitions, row offsets, outputs."""
    parts = (ident.tk_nextmove, ident._rowbase, ident.tk_output)
    return np.concatenate([np.asarray(part, dtype=np.int32) for part in parts])


@dataclass(frozen=True)
class _Weights:
    """py3langid's weights for our languages only (4 MB, float16), kept as a pickle; its
    automaton (40 MB, `_tables`) is memory-mapped from the cache, so that only the pages
    messages reach are resident. `identifier` puts them together into py3langid's own
    `LanguageIdentifier`, which scores as before."""

    classes: tuple[str, ...]
    ptc: np.ndarray
    pc: np.ndarray
    sizes: tuple[int, int, int]  # of the three parts of the tables

    @classmethod
    def of(cls, ident) -> _Weights:  # type: ignore[no-untyped-def]
        sizes = (len(ident.tk_nextmove), len(ident._rowbase), len(ident.tk_output))
        return cls(tuple(ident.nb_classes), ident.nb_ptc, ident.nb_pc, sizes)

    def identifier(self, tables: np.ndarray):  # type: ignore[no-untyped-def]
        from py3langid.langid import LanguageIdentifier

        view = memoryview(tables)  # indexing a memoryview gives ints, as py3langid's arrays
        a, b = self.sizes[0], self.sizes[0] + self.sizes[1]
        nextmove, rowbase, output = view[:a], view[a:b], view[b:]
        ident = LanguageIdentifier(
            self.ptc, self.pc, list(self.classes), nextmove, output, norm_probs=True, tk_row=()
        )
        ident._rowbase = rowbase  # already shifted (`r << 8`), as py3langid keeps them
        return ident


def load_models(cache_dir: Path | None = None) -> None:
    """Load the language models now rather than on the first message; with `cache_dir`,
    py3langid's model is kept there (see `nlu.cache`)."""
    _Detectors.load(cache_dir)


def _letter_logs(text: str) -> dict[str, float]:
    """Log-likelihood adjustments from letters specific to some languages."""
    logs = dict.fromkeys(_BASE, 0.0)
    low = text.lower()
    for letter, langs in _LETTERS.items():
        count = min(low.count(letter), _MARKER_CAP)
        if count:
            for lang in _BASE:
                if lang not in langs:
                    logs[lang] += _MISMATCH * count
    return logs


def _latin_uzbek_evidence(text: str) -> float:
    """0..1: how Uzbek a Latin-script text looks (o‘/g‘ signs and frequent words)."""
    low = text.lower()
    words = re.findall(r"[a-z'`‘’ʻʼ´]+", low)
    if not words:
        return 0.0
    hits = len(_UZ_APOSTROPHE.findall(low))
    plain = [re.sub(r"['`‘’ʻʼ´]", "'", w) for w in words]
    hits += sum(1 for w in plain if w in _UZ_WORDS or w.replace("'", "") in _UZ_WORDS)
    hits += 0.5 * sum(1 for w in plain if re.search(r"q|x[aeiou]|(?:dan|lar|ni|ga|da)$", w))
    return min(1.0, hits / max(1.0, len(words) * 0.6))


def _prior_weights(prior: str | None, langs: tuple[str, ...]) -> dict[str, float]:
    if prior is None or prior not in USER_LANGS:
        return dict.fromkeys(langs, 0.0)
    return {lang: (math.log(6.0) if lang == _family(prior) else 0.0) for lang in langs}


def identify(text: str, prior: str | None = None) -> LangGuess:
    """Guess the language variant of `text`; `prior` is the user's chosen language."""
    clean = _LATIN_I_IN_CYRILLIC.sub("і", _NOISE.sub(" ", text))
    letters = _LETTER.findall(clean)
    fallback = prior if prior in USER_LANGS else OTHER
    if not letters:
        return LangGuess(fallback, 0.0, {})
    cyr = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    lat = sum(1 for ch in letters if "a" <= ch.lower() <= "z")
    if cyr == 0 and lat == 0:
        return LangGuess(OTHER, 0.9, {OTHER: 0.9})
    cyrillic = cyr >= lat
    n = len(letters)
    # Naive Bayes detectors are overconfident on a few words: temper their votes.
    temper = min(1.0, 0.25 + n / 60)

    lid = _Detectors.py3langid(clean)
    other_mass = sum(p for code, p in lid.items() if code not in _BASE)
    cld_code, cld_trust = _Detectors.cld2(clean)
    model = _Detectors.model(clean)
    if cyrillic and model:
        # The model's "other" is Latin text of other languages: folded Cyrillic names
        # ("Нэшнл Джиографик") look like it, and it says nothing of Cyrillic text.
        model[OTHER] = _MODEL_FLOOR
    langs = (*_BASE, OTHER)
    logs: dict[str, float] = {}
    weights = _CYRILLIC_WEIGHTS if cyrillic else _LATIN_WEIGHTS
    for lang in langs:
        p_lid = other_mass if lang == OTHER else lid.get(lang, 0.0)
        is_cld = cld_code == lang or (lang == OTHER and cld_code not in (*_BASE, "un"))
        p_cld = cld_trust if is_cld else (1 - cld_trust) / len(langs)
        logs[lang] = temper * (
            weights[0] * math.log(p_lid + 1e-4)
            + weights[1] * math.log(p_cld + 1e-3)
            + weights[2] * max(model.get(lang, 0.0), _MODEL_FLOOR)
        )

    letter = _letter_logs(clean)
    for lang in _BASE:
        logs[lang] += letter[lang]
    if cyrillic:
        logs[OTHER] += math.log(0.2)  # Cyrillic outside our five is rare here
        # Mongolian, Ukrainian etc. letters would have voted "other" through the detectors.
    else:
        logs["uz"] += math.log(1 + 4 * _latin_uzbek_evidence(clean))
    prior_logs = _prior_weights(prior, langs)
    for lang in langs:
        logs[lang] += prior_logs[lang]

    top = max(logs.values())
    exp = {lang: math.exp(v - top) for lang, v in logs.items()}
    total = sum(exp.values())
    probs = {lang: v / total for lang, v in exp.items()}
    best = max(probs, key=probs.__getitem__)
    named = {_variant(lang, cyrillic): p for lang, p in probs.items()}
    return LangGuess(_variant(best, cyrillic), probs[best], named)


def _variant(lang: str, cyrillic: bool) -> str:
    if lang == "uz":
        return "uz-Cyrl" if cyrillic else "uz"
    return lang


# How sure identification must be before the bot answers in another language than the chosen.
SWITCH_CONFIDENCE = 0.8


def _family(lang: str) -> str:
    return "uz" if lang in ("uz", "uz-Cyrl") else lang


def switch_language(text: str, chosen: str, lang: str, confidence: float) -> str | None:
    """The language to answer `text` in instead of the person's `chosen` one, or None.

    `lang` and `confidence` are what identification said. The chosen language stays unless
    the text shows what it cannot explain:
    - letters it lacks that the identified language uses (ә in a Russian chooser's message;
      not ы or щ, which Russian words bring into every language here),
    - or the other script with a confident model: Cyrillic from an Uzbek (Latin) chooser, or
      Uzbek Latin signs (o‘ g‘) from a chooser of a Cyrillic language. Latin letters alone
      never move anyone to Uzbek: Kazakh, Kyrgyz, Tajik and Russian are typed in Latin too.
    Plain-typed text never switches (Kazakh and Kyrgyz typed so read alike), nor do Russian
    words in a message (people here mix them into every language), nor does the other script
    of the same language (Uzbek Cyrillic from an Uzbek Latin chooser)."""
    if lang not in USER_LANGS or confidence < SWITCH_CONFIDENCE:
        return None
    if _family(lang) == _family(chosen):
        return None
    clean = _LATIN_I_IN_CYRILLIC.sub("і", _NOISE.sub(" ", text)).lower()
    letters = _LETTER.findall(clean)
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in letters) >= len(letters) / 2
    chosen_cyrillic = chosen != "uz"
    if cyrillic != chosen_cyrillic:
        if cyrillic:  # an Uzbek Latin chooser writing Cyrillic
            return lang
        return lang if lang == "uz" and _UZ_APOSTROPHE.search(clean) else None
    foreign = {
        ch
        for ch, users in _LETTERS.items()
        if ch in clean and _family(chosen) not in users and "ru" not in users
    }
    return lang if any(_family(lang) in _LETTERS[ch] for ch in foreign) else None
