"""Uzbek Cyrillic <-> Latin transliteration (the 1995 alphabet and spelling rules).

Output Latin uses U+2018 (‘) in o‘ and g‘ and U+2019 (’) for the tutuq belgisi (ъ), as most
published texts do. Input Latin may use any of ' ` ‘ ’ ʻ ʼ ´ for either sign.
"""

from __future__ import annotations

import re

APOSTROPHES = "'`‘’ʻʼ´"
OKINA = "\u2018"  # the sign in o‘ and g‘
TUTUQ = "\u2019"  # the tutuq belgisi, written ъ in Cyrillic

_CYRL_VOWELS = set("аеёиоуўэюяы")
_LATN_VOWELS = set("aeiou")

CYRL_TO_LATN: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "x",
    "ч": "ch",
    "ш": "sh",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ё": "yo",
    "ў": "o" + OKINA,
    "қ": "q",
    "ғ": "g" + OKINA,
    "ҳ": "h",
    "ы": "i",
    "щ": "sh",
}

_L2C: dict[str, str] = {
    "a": "а",
    "b": "б",
    "d": "д",
    "f": "ф",
    "g": "г",
    "h": "ҳ",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "қ",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "x": "х",
    "y": "й",
    "z": "з",
}

# Russian loans whose Cyrillic spelling keeps a soft sign the Latin spelling drops.
_SOFT_SIGN_WORDS: dict[str, str] = {
    "yanvar": "январь",
    "fevral": "февраль",
    "aprel": "апрель",
    "iyun": "июнь",
    "iyul": "июль",
    "sentabr": "сентябрь",
    "oktabr": "октябрь",
    "noyabr": "ноябрь",
    "dekabr": "декабрь",
}
# "ts" stands for ц before these Russian endings (militsiya, ofitser, frantsuz); elsewhere it
# is t + s, as in the Uzbek suffixes -sa, -sin, -siz (ketsa, aytsin, baxtsiz).
_FOREIGN = re.compile(r"w|c(?!h)")
_TS_AS_TSE = re.compile(r"ts(?=iya|io|ist|izm|ikl|irk|ent|er|ey|uz)")


def _is_cyrl(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _word_bounds(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\W\d_]+", text)]


def _caps_words(text: str) -> list[bool]:
    """For every index, whether it lies in a word of two or more letters all in capitals."""
    caps = [False] * len(text)
    for start, end in _word_bounds(text):
        word = text[start:end]
        if len(word) > 1 and word.isupper():
            for i in range(start, end):
                caps[i] = True
    return caps


def _recase(out: str, upper: bool, all_caps: bool) -> str:
    if not upper or not out:
        return out
    return out.upper() if all_caps else out[0].upper() + out[1:]


def cyrl_to_latn(text: str) -> str:
    """Uzbek Cyrillic to the Latin alphabet; other characters are kept."""
    caps = _caps_words(text)
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        low = ch.lower()
        if not _is_cyrl(ch):
            out.append(ch)
            continue
        prev = text[i - 1].lower() if i > 0 else ""
        nxt = text[i + 1].lower() if i + 1 < n else ""
        at_start = not prev.isalpha()
        if low == "е":
            lat = "ye" if at_start or prev in _CYRL_VOWELS or prev in ("ъ", "ь") else "e"
        elif low == "ц":
            lat = "ts" if prev in _CYRL_VOWELS else "s"
        elif low == "ь":
            lat = "y" if nxt == "о" else ""
        elif low == "ъ":
            lat = "" if (nxt and nxt in "еёюя" and prev and prev not in _CYRL_VOWELS) else TUTUQ
        elif low == "ҳ" and prev == "с":
            lat = TUTUQ + "h"
        else:
            lat = CYRL_TO_LATN.get(low, ch)
        out.append(_recase(lat, ch != low, caps[i]))
    return "".join(out)


def _is_apos(ch: str) -> bool:
    return len(ch) == 1 and ch in APOSTROPHES


def latn_to_cyrl(text: str) -> str:
    """Uzbek Latin (any apostrophe variant) to the Cyrillic alphabet; other characters kept."""
    out: list[str] = []
    for start, end, is_word in _segments(text):
        chunk = text[start:end]
        out.append(_word_to_cyrl(chunk) if is_word else chunk)
    return "".join(out)


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """Split into Latin words (letters with inner apostrophes) and everything else."""
    pattern = re.compile(rf"[A-Za-z]+(?:[{APOSTROPHES}][A-Za-z]*)*")
    result: list[tuple[int, int, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        start, end = m.span()
        # A trailing apostrophe belongs to the word only after o or g (tog‘, bo‘).
        word = m.group()
        while word and _is_apos(word[-1]) and (len(word) < 2 or word[-2].lower() not in "og"):
            word = word[:-1]
            end -= 1
        if start > pos:
            result.append((pos, start, False))
        result.append((start, end, True))
        pos = end
    if pos < len(text):
        result.append((pos, len(text), False))
    return result


def _word_to_cyrl(word: str) -> str:
    low = word.lower()
    plain = "".join(c for c in low if not _is_apos(c))
    all_caps = len(plain) > 1 and word.replace("'", "").isupper()
    if _FOREIGN.search(plain):  # WhatsApp, Facebook: not Uzbek, keep as written
        return word
    if plain in _SOFT_SIGN_WORDS:
        return _recase(_SOFT_SIGN_WORDS[plain], word[0].isupper(), all_caps)
    out: list[str] = []
    i, n = 0, len(low)
    ts_at = {m.start() for m in _TS_AS_TSE.finditer(low)}
    while i < n:
        ch = low[i]
        upper = word[i].isupper()
        prev = low[i - 1] if i > 0 else ""
        after_vowel = prev in _LATN_VOWELS or (i == 0)
        nxt = low[i + 1] if i + 1 < n else ""
        nxt2 = low[i + 2] if i + 2 < n else ""
        step, cyr = 1, ""
        if ch in "og" and _is_apos(nxt):
            step, cyr = 2, "ў" if ch == "o" else "ғ"
        elif _is_apos(ch):
            cyr = "" if (prev == "s" and nxt == "h") else "ъ"
        elif ch == "s" and nxt == "h":
            step, cyr = 2, "ш"
        elif ch == "c" and nxt == "h":
            step, cyr = 2, "ч"
        elif ch == "t" and nxt == "s" and (i == 0 or (i in ts_at and prev in _LATN_VOWELS)):
            step, cyr = 2, "ц"
        elif ch == "y" and nxt == "e":
            step = 2
            cyr = "е" if after_vowel or _is_apos(prev) else "ъе"
        elif ch == "y" and nxt == "o" and not _is_apos(nxt2):
            step, cyr = 2, "ё"
        elif ch == "y" and nxt in ("a", "u"):
            step, cyr = 2, "я" if nxt == "a" else "ю"
        elif ch == "e":
            cyr = "э" if after_vowel else "е"
        else:
            cyr = _L2C.get(ch, word[i])
            upper = upper and cyr != word[i]
        out.append(_recase(cyr, upper, all_caps))
        i += step
    return "".join(out)


# Spans latn_to_cyrl_markup leaves alone: tags, entities, placeholders, URLs, e-mail
# addresses, domain names and numbers.
_PROTECTED = re.compile(
    r"""
    <[^<>]*>                                   # HTML tags
    | &(?:[a-zA-Z]+|\#\d+|\#x[0-9a-fA-F]+);    # HTML entities
    | \{[^{}]*\}                               # {placeholders}
    | (?<![\w/])/[A-Za-z][A-Za-z0-9_]*          # bot commands: /start stays /start
    | \b[a-z]+[A-Z][A-Za-z]*\b                  # brand names: eGov, eOtinish
    | \b(?:https?|ftp)://[^\s<>"']+            # URLs
    | \bwww\.[^\s<>"']+
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+             # e-mail addresses
    | \b(?:[A-Za-z0-9-]+\.)+(?:kz|uz|ru|com|org|net|gov|info|io|me|tj|kg|int|edu|app)
      (?:/[^\s<>"']*)?\b                       # domain names (egov.kz, migration.kz/ru)
    | \+?\d[\d\s().-]*\d|\d                    # numbers and phone numbers
    """,
    re.VERBOSE,
)


def latn_to_cyrl_markup(text: str) -> str:
    """Like `latn_to_cyrl`, but keeps markup, placeholders, URLs, addresses and numbers."""
    out: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        out.append(latn_to_cyrl(text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(latn_to_cyrl(text[pos:]))
    return "".join(out)
