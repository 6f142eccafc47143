"""Reading Bot API parameters from JSON, urlencoded or multipart bodies.

Telegram accepts every parameter either natively typed (JSON body) or as a string (form
bodies, where nested objects are JSON-encoded), so :class:`Params` offers typed getters that
accept both forms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from bot.sandbox.errors import bad_request


@dataclass
class Upload:
    """A file uploaded in a multipart request."""

    filename: str
    content_type: str
    data: bytes


async def read_multipart(reader: MultipartReader) -> tuple[dict[str, Any], dict[str, Upload]]:
    raw: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is not None:
            data = bytes(await part.read(decode=True))
            ctype = part.headers.get("Content-Type", "application/octet-stream")
            files[part.name] = Upload(part.filename, ctype, data)
        else:
            raw[part.name] = await part.text()
    return raw, files


async def read_request(request: web.Request) -> Params:
    """Parse query string and body of a Bot API request."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    ctype = request.content_type
    if request.can_read_body:
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if isinstance(body, dict):
                raw.update(body)
        elif ctype.startswith("multipart/"):
            parsed, files = await read_multipart(await request.multipart())
            raw.update(parsed)
        else:
            raw.update(await request.post())
    return Params(raw, files)


# Non-string parameters, decoded for the call log (form bodies carry them as strings).
_LOG_INTS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "duration",
        "width",
        "height",
        "length",
        "icon_color",
        "cache_time",
        "max_connections",
    }
)
_LOG_BOOLS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "has_spoiler",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "remove_caption",
    }
)


def _log_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _LOG_INTS and value.lstrip("-").isdigit():
        return int(value)
    if key in _LOG_BOOLS and value in ("true", "false"):
        return value == "true"
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


class Params:
    """Typed access to the parameters of one call."""

    def __init__(self, raw: dict[str, Any], files: dict[str, Upload] | None = None) -> None:
        self.raw = {k: v for k, v in raw.items() if v is not None}
        self.files = files or {}

    def has(self, name: str) -> bool:
        return name in self.raw or name in self.files

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        return default if value is None else _parse_bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        """A nested object or array; strings are decoded as JSON."""
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad_request(error or f"can't parse {name} JSON object") from exc
        return value

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """An integer chat id or an ``@username``."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc

    def file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part, or a string (file_id, URL, ``attach://``)."""
        if name in self.files:
            return self.files[name]
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        return self.resolve_attach(value) if isinstance(value, str) else None

    def resolve_attach(self, value: str) -> Upload | str:
        if value.startswith("attach://"):
            key = value[len("attach://") :]
            if key not in self.files:
                raise bad_request(f"file of the attach://{key} is not found in the request")
            return self.files[key]
        return value

    def loggable(self) -> dict[str, Any]:
        """Parameters for the call log: decoded JSON, no file bytes."""
        out = {key: _log_value(key, value) for key, value in self.raw.items()}
        for key, upload in self.files.items():
            out[key] = {"filename": upload.filename, "size": len(upload.data)}
        return out
