"""Media in messages: resolving input files and building PhotoSize/Voice/Document/... fields."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.files import MAX_UPLOAD, StoredFile
from bot.sandbox.params import Params, Upload
from bot.sandbox.state import World

MEDIA_KINDS = (
    "photo",
    "voice",
    "audio",
    "document",
    "video",
    "video_note",
    "animation",
    "sticker",
)
CAPTIONLESS = frozenset({"video_note", "sticker"})
_COMPATIBLE = {"document": {"animation"}, "animation": {"document"}}
_OPTION_NAMES = ("duration", "width", "height", "length", "performer", "title", "emoji")


def _title(kind: str) -> str:
    return kind.replace("_", " ").title().replace(" ", "")


def store_input(world: World, value: Upload | str | None, kind: str) -> StoredFile:
    """Turn an uploaded part, a file_id or a URL into a stored file of ``kind``."""
    if value is None:
        raise bad_request(f"there is no {kind.replace('_', ' ')} in the request")
    if isinstance(value, Upload):
        if len(value.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if not value.data:
            raise bad_request("file must be non-empty")
        ctype = None if value.content_type == "application/octet-stream" else value.content_type
        return world.files.add(kind, value.data, file_name=value.filename, mime_type=ctype)
    if value.startswith(("http://", "https://")):
        # No internet here: a URL becomes a generated file of the right kind.
        return world.files.generate(kind, file_name=value.rsplit("/", 1)[-1] or None)
    stored = world.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind and stored.kind not in _COMPATIBLE.get(kind, set()):
        raise bad_request(f"can't use file of type {_title(stored.kind)} as {_title(kind)}")
    return stored


def _file_obj(stored: StoredFile, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
    }
    data.update({k: v for k, v in extra.items() if v is not None})
    data["file_size"] = stored.file_size
    return data


def photo_sizes(world: World, stored: StoredFile) -> list[dict[str, Any]]:
    sizes = []
    thumb = world.files.thumbnail(stored)
    if thumb is not None:
        sizes.append(_file_obj(thumb, width=thumb.width, height=thumb.height))
    sizes.append(_file_obj(stored, width=stored.width, height=stored.height))
    return sizes


def content_for(world: World, kind: str, stored: StoredFile, **opts: Any) -> dict[str, Any]:
    """The message fields for a media message (``{"photo": [...]}``, ``{"voice": {...}}``...)."""
    duration = int(opts.get("duration") or 0) or 3
    width = int(opts.get("width") or 0) or 640
    height = int(opts.get("height") or 0) or 480
    name = stored.file_name
    mime = stored.mime_type
    if kind == "photo":
        return {"photo": photo_sizes(world, stored)}
    if kind == "voice":
        return {"voice": _file_obj(stored, duration=duration, mime_type=mime)}
    if kind == "audio":
        extra = {"performer": opts.get("performer"), "title": opts.get("title")}
        return {
            "audio": _file_obj(stored, duration=duration, **extra, file_name=name, mime_type=mime)
        }
    if kind == "document":
        return {"document": _file_obj(stored, file_name=name or "document.pdf", mime_type=mime)}
    if kind in ("video", "animation"):
        obj = _file_obj(
            stored, width=width, height=height, duration=duration, file_name=name, mime_type=mime
        )
        if kind == "animation":  # Telegram sends GIFs as both animation and document
            return {"animation": obj, "document": _file_obj(stored, file_name=name, mime_type=mime)}
        return {"video": obj}
    if kind == "video_note":
        length = int(opts.get("length") or 0) or 240
        return {"video_note": _file_obj(stored, length=length, duration=duration)}
    if kind == "sticker":
        return {
            "sticker": _file_obj(
                stored,
                type="regular",
                width=stored.width or 512,
                height=stored.height or 512,
                is_animated=False,
                is_video=False,
                emoji=opts.get("emoji") or "🙂",
            )
        }
    raise bad_request(f"unsupported media kind {kind}")


def content_from_params(world: World, kind: str, p: Params) -> dict[str, Any]:
    """Media fields for a ``send<Kind>`` call (without the caption)."""
    stored = store_input(world, p.file(kind), kind)
    opts = {name: p.get_str(name) for name in _OPTION_NAMES if p.has(name)}
    content = content_for(world, kind, stored, **opts)
    if p.get_bool("has_spoiler"):
        content["has_media_spoiler"] = True
    if p.get_bool("show_caption_above_media"):
        content["show_caption_above_media"] = True
    return content


def file_ids(message: dict[str, Any]) -> list[str]:
    """All file_ids referenced by a message (for debugging and the web page)."""
    ids = [size["file_id"] for size in message.get("photo", [])]
    for kind in MEDIA_KINDS[1:]:
        if isinstance(message.get(kind), dict):
            ids.append(message[kind]["file_id"])
    return ids


def media_kind(message: dict[str, Any]) -> str | None:
    for kind in ("photo", "voice", "audio", "video", "video_note", "animation", "sticker"):
        if kind in message:
            return kind
    return "document" if "document" in message else None
