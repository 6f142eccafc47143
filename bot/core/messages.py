"""What flows in and out of the engine: plain frozen dataclasses, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096


@dataclass(frozen=True)
class UserView:
    """What the engine knows of the person writing."""

    user_id: int
    lang: str | None = None
    consented: bool = False
    open_ticket: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One thing the user did: a message (text and/or media), a command or a button press."""

    user_id: int
    message_id: int | None = None
    text: str | None = None  # message text or media caption
    command: str | None = None  # without the slash, lower case: "start", "menu", ...
    callback: str | None = None  # raw callback data: untrusted
    media: str | None = None  # "photo", "voice", ... when the message carries media
    understood: Any = field(default=None, compare=False)  # a classification made elsewhere


@dataclass(frozen=True)
class Button:
    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML
    buttons: Keyboard = ()


# Actions: what the engine asks the services to do.
@dataclass(frozen=True)
class SetLanguage:
    lang: str


@dataclass(frozen=True)
class SetConsent:
    accepted: bool


@dataclass(frozen=True)
class OpenTicket:
    lang: str
    subject: str | None = None
    urgent: bool = False
    message_id: int | None = None  # a message of the user's to relay into the new ticket


@dataclass(frozen=True)
class RelayToTicket:
    """Copy the inbound message into the user's open ticket."""


@dataclass(frozen=True)
class DeleteData:
    pass


@dataclass(frozen=True)
class Feedback:
    entry_id: str
    helpful: bool


@dataclass(frozen=True)
class Rate:
    ticket_id: int
    rating: int


@dataclass(frozen=True)
class Unanswered:
    """A question the bot could not answer confidently, kept (masked) for editors."""

    text: str
    lang: str
    outcome: str
    nearest: tuple[str, ...]


Action = (
    SetLanguage
    | SetConsent
    | OpenTicket
    | RelayToTicket
    | DeleteData
    | Feedback
    | Rate
    | Unanswered
)


@dataclass(frozen=True)
class Decision:
    replies: tuple[Reply, ...] = ()
    actions: tuple[Action, ...] = ()
    notice: str | None = None  # short text for answering a button press
    lang: str | None = None  # the language the replies are in
    outcome: str = ""  # for logs and metrics: what the engine decided, never the text
    extra: dict = field(default_factory=dict, compare=False)
