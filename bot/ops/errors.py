"""Error reports to Sentry (KOMEK_SENTRY_DSN, install with .[sentry]), with what people
wrote and who they are removed before anything leaves the machine.

`scrub` is Sentry's `before_send` and `before_breadcrumb`: it drops the request, the user,
local variables and the parameters of log messages; it replaces quoted strings (where an
exception shows a value it got, e.g. pydantic's input_value), the bot token, numbers of five
digits or more (Telegram ids, phone, passport and IIN numbers) and e-mail addresses; and it
drops every field named like message content or a person's details, at any depth.
"""

from __future__ import annotations

import re
from typing import Any

# Keys whose values are what people wrote or who they are (Telegram's field names).
PRIVATE_KEYS = frozenset(
    {
        "text", "caption", "raw", "payload", "data", "query", "body", "first_name",
        "last_name", "username", "phone_number", "from", "from_user", "chat", "contact",
        "user", "vars", "params", "cookies", "headers", "env", "message", "formatted",
    }
)  # fmt: skip
KEEP_STRINGS = frozenset({"type", "module", "function", "filename", "abs_path", "level"})
REDACTED = "[removed]"
_PATTERNS = (
    (re.compile(r"\bbot\d+:[A-Za-z0-9_-]+"), "bot[token]"),
    (re.compile(r"\b\d+:[A-Za-z0-9_-]{30,}\b"), "[token]"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»"), "'…'"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"\+?\d[\d -]{3,}\d"), "[number]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text[:500]


def _clean(value: Any, key: str = "") -> Any:
    if key in PRIVATE_KEYS:
        return REDACTED
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, str) and key not in KEEP_STRINGS:
        return redact(value)
    return value


def scrub(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """An event or breadcrumb as it may leave: no message text, no personal data."""
    for name in ("request", "user", "server_name", "extra"):
        event.pop(name, None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        event["logentry"] = {"message": redact(str(logentry.get("message", "")))}
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    crumbs = event.get("breadcrumbs")
    values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
    for crumb in values or []:
        _crumb(crumb)
    if "category" in event and "exception" not in event:  # a breadcrumb on its own
        _crumb(event)
    for name in ("contexts", "tags"):
        if isinstance(event.get(name), dict):
            event[name] = _clean(event[name])
    return event


def _crumb(crumb: dict[str, Any]) -> None:
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    if isinstance(crumb.get("data"), dict):
        crumb["data"] = _clean(crumb["data"])


def start_sentry(dsn: str, release: str | None = None) -> None:
    try:
        import sentry_sdk
    except ImportError:
        from bot.config import SettingsError

        raise SettingsError(
            "setting KOMEK_SENTRY_DSN needs sentry-sdk: pip install -e '.[sentry]'"
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_breadcrumb=scrub,
    )
