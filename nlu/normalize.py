"""Text normalisation for matching: case, Unicode forms, apostrophes, ё/е, look-alike letters.

- `normalize` keeps the script but types every special letter as its plain look-alike, so
  "қайда" and "кайда", "ўтаман" and "утаман" give the same string.
- `fold` goes further and writes every Cyrillic text in Latin letters the way Uzbek Latin
  spells them, so that Uzbek written in either script (and loanwords shared by all five
  languages) give the same key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nlu.translit import APOSTROPHES, CYRL_TO_LATN

# Special Cyrillic letters -> the plain Russian look-alike people type without the layout.
_PLAIN = str.maketrans(
    {
        "қ": "к",
        "ү": "у",
        "ұ": "у",
        "ө": "о",
        "ә": "а",
        "ң": "н",
        "ғ": "г",
        "һ": "х",
        "і": "и",
        "ҷ": "ч",
        "ӣ": "и",
        "ӯ": "у",
        "ҳ": "х",
        "ў": "у",
        "ё": "е",
    }
)
# Kazakh і typed as Latin i (or its dotless/other look-alikes) inside a Cyrillic word.
_LATIN_I_IN_CYRILLIC = re.compile(r"(?<=[\u0400-\u04ff])i|i(?=[\u0400-\u04ff])")
_APOSTROPHE = re.compile(f"[{APOSTROPHES}]")
_NON_WORD = re.compile(r"[^\w']+")
_STRAY_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_SPACES = re.compile(r"\s+")
_YO = re.compile(r"(?<![\u0400-\u04ff])ё|(?<=[аеёиоуўэюяыөүұәійьъ])ё")

# Cyrillic (already plain) -> Latin, as Uzbek Latin spells the same sounds: the
# transliteration table, with the letters it writes by context (е, ц) and the signs (ъ, ь)
# reduced to what matching needs; and the letters of Turkic Latin alphabets (Kazakh 2021,
# Turkish keyboards, ö for Uzbek o‘) as spelt here.
_ROMAN = str.maketrans(
    CYRL_TO_LATN
    | {"е": "e", "ц": "s", "ъ": "", "ь": ""}
    | {"ä": "a", "ö": "o", "ü": "u", "ū": "u", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "g", "ñ": "n"}
)
_LATIN_FOLD = (
    # Kyrgyz and Kazakh ы typed in Latin as y ("alyp", "karmady"); y before a vowel, or after
    # one, is Uzbek y (yordam, tayyor, ko'ylak) and stays.
    (re.compile(r"(?<=[bcdfghjklmnpqrstvwxz])y(?![aeiouy'])"), "i"),
    (re.compile(r"o'"), "u"),  # o‘ is Cyrillic ў, typed plainly as у
    (re.compile(r"g'"), "g"),
    (re.compile(r"'"), ""),
    (re.compile(r"q"), "k"),
    # Russian, Kazakh, Kyrgyz and Tajik typed in Latin letters: zh is ж (Uzbek j), kh is х,
    # gh is ғ, sch and shch are щ, ng is ң (typed plainly as н; Uzbek нг/ng folds alike).
    (re.compile(r"zh"), "j"),
    (re.compile(r"kh"), "x"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"sh?ch"), "sh"),
    (re.compile(r"ng"), "n"),
    (re.compile(r"(?<![sc])h"), "x"),  # ҳ is typed as х
    (re.compile(r"ye"), "e"),  # Cyrillic е (yetti/етти, obyekt/объект)
    (re.compile(r"ts"), "s"),  # Cyrillic ц (militsiya/милиция, sirk/цирк)
    (re.compile(r"w"), "v"),
    (re.compile(r"c(?!h)"), "s"),
)


def normalize(text: str, *, keep_punct: bool = False) -> str:
    """Casefolded NFKC text, apostrophes as ', special letters as plain look-alikes."""
    return _prepare(text, keep_punct=keep_punct, keep_yo=False)


def _prepare(text: str, *, keep_punct: bool, keep_yo: bool) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHE.sub("'", text)
    text = _LATIN_I_IN_CYRILLIC.sub("и", text)
    if keep_yo:  # ё at a word start or after a vowel is yo (Uzbek ёрдам); ещё is еще
        text = _YO.sub("йо", text)
    text = text.translate(_PLAIN)
    if not keep_punct:
        text = _NON_WORD.sub(" ", text)
        text = _STRAY_APOSTROPHE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def without_apostrophes(text: str) -> str:
    """The text as typed without Uzbek o‘/g‘ apostrophes ("qorqitdi" for "qo‘rqitdi")."""
    return _APOSTROPHE.sub("", text)


@lru_cache(maxsize=4096)  # one message is folded by language id, scoring and urgent phrases
def fold(text: str) -> str:
    """A script-neutral key: `normalize`, then everything in Latin letters."""
    text = _prepare(text, keep_punct=False, keep_yo=True).translate(_ROMAN)
    for pattern, repl in _LATIN_FOLD:
        text = pattern.sub(repl, text)
    return text
