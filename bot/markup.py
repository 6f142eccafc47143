"""Telegram-flavoured HTML, the one checker for the content check and the sandbox: validation
and conversion to plain text plus entities.

Mirrors what the Bot API does with ``parse_mode=HTML``: only a fixed set of tags is allowed,
tags must be properly nested, ``<`` and ``&`` must be escaped, and the result is plain text
with ``MessageEntity`` objects whose offsets are counted in UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
OTHER_TAGS = frozenset({"a", "span", "blockquote", "tg-emoji"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")


class HtmlParseError(ValueError):
    """Raised with the text Telegram puts after ``can't parse entities: ``."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    offset: int
    entity: dict[str, Any] | None
    children: list[str] = field(default_factory=list)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    match = _ENTITY_RE.match(source, i)
    if match is None:
        raise HtmlParseError(
            f'Character "&" at byte offset {_byte_offset(source, i)} must be escaped as "&amp;"'
        )
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(f'Unsupported HTML entity "{match.group(0)}"')
        return chr(code), match.end()
    if body.lower() not in NAMED_ENTITIES:
        raise HtmlParseError(f'Unsupported HTML entity "{match.group(0)}"')
    return NAMED_ENTITIES[body.lower()], match.end()


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&" and _ENTITY_RE.match(value, i):
            char, i = _decode_entity(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = match.group(2) or ""
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        attrs[match.group(1).lower()] = _unescape(value)
    return attrs


def _entity_for(tag: str, attrs: dict[str, str], stack: list[_Open], where: str) -> Any:
    if tag in SIMPLE_TAGS:
        if tag == "code" and stack and stack[-1].tag == "pre" and stack[-1].entity:
            lang = attrs.get("class", "")
            if lang.startswith("language-"):
                stack[-1].entity["language"] = lang[len("language-") :]
                return None
        return {"type": SIMPLE_TAGS[tag]}
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            return None
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            return {"type": "text_mention", "user": {"id": int(user.group(1))}}
        return {"type": "text_link", "url": href}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise HtmlParseError(f"Custom emoji identifier must be specified at {where}")
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    raise HtmlParseError(f'Unsupported start tag "{tag}" at {where}')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` or raise :class:`HtmlParseError`."""
    text: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    pos = 0  # UTF-16 offset in the plain text
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            text.append(decoded)
            pos += utf16_len(decoded)
            continue
        if char != "<":
            text.append(char)
            pos += utf16_len(char)
            i += 1
            continue
        where = f"byte offset {_byte_offset(source, i)}"
        end = source.find(">", i)
        if end < 0:
            raise HtmlParseError(f"Unclosed start tag at {where}")
        closing = source.startswith("</", i)
        match = _NAME_RE.match(source, i + (2 if closing else 1))
        if match is None:
            raise HtmlParseError(f'Unsupported start tag "" at {where}')
        tag = match.group(0).lower()
        if closing:
            if source[match.end() : end].strip():
                raise HtmlParseError(f"Unclosed end tag at {where}")
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at {where}")
            top = stack.pop()
            if top.tag != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at {where}, expected "</{top.tag}>", found "</{tag}>"'
                )
            if top.entity is not None and pos > top.offset:
                entities.append({**top.entity, "offset": top.offset, "length": pos - top.offset})
        else:
            if tag not in SIMPLE_TAGS and tag not in OTHER_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at {where}')
            attrs = _parse_attrs(source[match.end() : end].rstrip("/"))
            stack.append(_Open(tag, pos, _entity_for(tag, attrs, stack, where)))
        i = end + 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


_AUTO_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?)"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
    r"|(?P<mention>(?<!\w)@[a-zA-Z0-9_]{5,32})"
    r"|(?P<hashtag>(?<!\w)#\w+)"
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram adds automatically to a person's message (commands, URLs, ...)."""
    found = []
    for match in _AUTO_RE.finditer(text):
        kind = match.lastgroup or "url"
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return found
