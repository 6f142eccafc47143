"""Button payloads: short, at most 64 bytes, and parsed as untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")

LANG = "lang"  # lang:<variant>      pick the language
CONSENT = "ok"  # ok:1 / ok:0         accept or decline the privacy notice
MENU = "menu"  # menu                 the main menu
TOPIC = "t"  # t:<topic>              a topic's questions
QUESTION = "q"  # q:<entry>           an answer
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


def decode(data: str | None) -> Callback | None:
    """The callback, or None when the payload is not one of ours (forged, old, garbled)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, _, arg = data.partition(":")
    if not _PART.match(kind) or (arg and not _PART.match(arg)):
        return None
    return Callback(kind, arg)
