"""The helpdesk's words, defined once: a ticket's status, a message's direction, the kinds
of event in the ticket log.

They are stored as the plain strings they are (`StrEnum` members equal their values), so
the rows, the SQL text of the migrations and the partial index `status != 'closed'` read
the same as before. This module sits at the bottom, in the engine's layer (bot/core,
below db in pyproject.toml's import-linter contracts) and imports nothing: the models in
db, the services, the web console and the Telegram handlers (which may not import db) all
use the same members.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    WAITING = "waiting"  # in the queue
    TAKEN = "taken"  # an operator is answering
    CLOSED = "closed"


class Direction(StrEnum):
    """Who wrote a message of a ticket's conversation."""

    IN = "in"  # the person
    OUT = "out"  # an operator, relayed to the person
    NOTE = "note"  # an operator's note, never sent


class EventKind(StrEnum):
    """What happened, in the ticket event log (`TicketEvent.kind`)."""

    OPENED = "opened"
    URGENT = "urgent"  # an open ticket became urgent
    TAKEN = "taken"
    RELEASED = "released"  # given back to the queue by its operator
    RETURNED = "returned"  # back to the queue: no reply, or its operator left the group
    TRANSFERRED = "transferred"  # detail: "operator <id>" or "queue <name>"
    CLOSED = "closed"  # detail: the close category
    REOPENED = "reopened"
    RATED = "rated"  # detail: the rating
    ANNOUNCED = "announced"  # "still waiting" posted again
    # No ticket, or no ticket of its own: the audit log (/audit)
    REFUSED = "refused"  # someone not allowed tried something
    MEMBER_JOINED = "member_joined"  # what Telegram said about the operators' group
    MEMBER_LEFT = "member_left"
    CONSOLE_SIGNIN = "console_signin"  # the web console
    CONSOLE_EXPORT = "console_export"
