"""Logs: plain lines or one JSON object a line (KOMEK_LOG_FORMAT=json).

A line about an update carries its id, the person's pseudonym (a keyed hash of their
Telegram id, the same in every process that has the same key, never the id itself), the
engine's outcome and the duration. Message text is never logged, in either format: the code
logs ids, outcomes and exception types only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = ("update_id", "person", "outcome", "duration_ms")

_context: ContextVar[dict[str, Any] | None] = ContextVar("komek_log_context", default=None)
_key = os.urandom(32)  # replaced at start by one derived from the encryption key


def set_pseudonym_key(secret: str | bytes) -> None:
    global _key
    raw = secret.encode() if isinstance(secret, str) else secret
    _key = hashlib.sha256(b"komek-log-pseudonym\0" + raw).digest()


def pseudonym(telegram_id: int) -> str:
    """Whose update it is, for following one person through the logs without naming them."""
    if not telegram_id:
        return "-"
    digest = hashlib.blake2b(str(telegram_id).encode(), key=_key, digest_size=6).hexdigest()
    return "p" + digest


@contextlib.contextmanager
def about(**fields: Any) -> Iterator[dict[str, Any]]:
    """Lines logged inside carry `fields`; what is added to the yielded dict joins them."""
    current = dict(_context.get() or {}, **fields)
    token = _context.set(current)
    try:
        yield current
    finally:
        _context.reset(token)


def note(**fields: Any) -> None:
    """Add to the fields of the update in hand (e.g. the engine's outcome)."""
    current = _context.get()
    if current is not None:
        current.update(fields)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in (_context.get() or {}).items():
            line.setdefault(name, value)
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str, form: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
