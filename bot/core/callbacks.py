"""Button payloads: short, at most 64 bytes, and parsed as untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_PART = re.compile(r"[A-Za-z0-9_\-]{1,40}")

LANG = "lang"  # lang:<variant>      pick the language
CONSENT = "ok"  # ok:1 / ok:0         accept or decline the privacy notice
MENU = "menu"  # menu                 the main menu
TOPIC = "t"  # t:<topic>              a topic's questions
QUESTION = "q"  # q:<lang>-<entry>    an answer, in the language its button was shown in
HELPED = "y"  # y:<entry>             "this helped"
HUMAN = "h"  # h:<entry or ->         talk to a person
HUMAN_MEDIA = "hm"  # hm:<message id> talk to a person, relaying that message
SWITCH = "sw"  # sw:<variant>         switch to the language a message was written in
DELETE = "del"  # del:ask / del:yes / del:no
RATE = "r"  # r:<ticket>-<1..5>     how much the operators helped


@dataclass(frozen=True)
class Callback:
    kind: str
    arg: str = ""


def encode(kind: str, arg: str = "") -> str:
    data = f"{kind}:{arg}" if arg else kind
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {kind}")
    return data


def question(entry: str, lang: str) -> str:
    """The button of an entry's answer in `lang` (an answer comes in its button's language)."""
    return encode(QUESTION, f"{lang.replace('-', '_')}-{entry}")


def question_arg(arg: str) -> tuple[str | None, str]:
    """(language, entry) of a question button; the language is None on buttons sent before
    it was part of them (`q:<entry>`). Entry ids have no "-"."""
    lang, sep, entry = arg.partition("-")
    return (lang.replace("_", "-"), entry) if sep else (None, arg)


def decode(data: str | None) -> Callback | None:
    """The callback, or None when the payload is not one of ours (forged, old, garbled)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, sep, arg = data.partition(":")
    if not _PART.fullmatch(kind) or (sep and not _PART.fullmatch(arg)):
        return None
    return Callback(kind, arg)
