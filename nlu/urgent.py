"""Urgent phrases ("забрали паспорт", "pasportimni olib qo'ydi"): a match forces escalation.

Phrases and messages are compared through `fold`, so script, special letters and apostrophes
do not matter. Each phrase word matches a message word that starts with it and has at most a
short ending more ("забрали паспорт" matches "забрали паспорта"), in the same order; the
words must follow each other, with up to one word between them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from nlu.normalize import fold, without_apostrophes

_MAX_ENDING = 3  # letters a message word may add to a phrase word (case endings)
_MIN_STEM = 4  # shorter phrase words must match whole
_GAP = r"\s(?:\S+\s)?"  # between two phrase words: a space, or one other word


class UrgentPhrases:
    def __init__(self, phrases: Iterable[str]):
        patterns = []
        self.phrases: tuple[str, ...] = tuple(dict.fromkeys(p for p in phrases if p.strip()))
        # Uzbek o‘/g‘ typed without the apostrophe ("qorqitdi" for "qo'rqitdi") and ё typed
        # as е ("пристает") fold differently: each phrase also matches as typed that way.
        keys = {
            fold(variant)
            for p in self.phrases
            for variant in (p, without_apostrophes(p), p.casefold().replace("ё", "е"))
        }
        for key in sorted(keys):
            words = key.split()
            if not words:
                continue
            parts = [
                re.escape(w) + (rf"\w{{0,{_MAX_ENDING}}}" if len(w) >= _MIN_STEM else "")
                for w in words
            ]
            patterns.append(_GAP.join(parts))
        self._regex = (
            re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)") if patterns else None
        )

    @classmethod
    def from_mapping(cls, by_lang: Mapping[str, Iterable[str]] | None) -> UrgentPhrases:
        return cls(p for phrases in (by_lang or {}).values() for p in phrases)

    def find(self, text: str) -> str | None:
        """The folded text of the first urgent phrase in `text`, or None."""
        if self._regex is None:
            return None
        match = self._regex.search(fold(text))
        return match.group() if match else None
