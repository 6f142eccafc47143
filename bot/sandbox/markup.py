"""Validation of message text, captions, entities and reply markup, as the Bot API does it."""

from __future__ import annotations

from typing import Any

from bot.markup import HtmlParseError, parse_html
from bot.sandbox.errors import bad_request
from bot.sandbox.params import Params
from bot.sandbox.state import World

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _format(world: World, text: str, parse_mode: str | None, entities: Any) -> tuple[str, list]:
    if entities is not None:
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        return text, entities
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            text, parsed = parse_html(text)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
        for entity in parsed:
            if entity["type"] == "text_mention":
                user_id = entity.pop("user")["id"]
                user = world.users.get(user_id)
                if user is None:  # Telegram drops mentions of unknown users; keep it a link
                    entity.update(type="text_link", url=f"tg://user?id={user_id}")
                else:
                    entity["user"] = user.to_api()
        return text, parsed
    if mode in ("", "markdown", "markdownv2"):
        return text, []  # Markdown is passed through unparsed by the sandbox
    raise bad_request(f"unsupported parse_mode: {parse_mode}")


def message_text(world: World, p: Params, name: str = "text") -> dict[str, Any]:
    """``{"text", "entities"}`` for sendMessage / editMessageText, validated."""
    raw = p.get_str(name)
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    text, entities = _format(world, raw, p.get_str("parse_mode"), p.get_json("entities"))
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    preview = p.get_json("link_preview_options")
    if isinstance(preview, dict) and preview:
        content["link_preview_options"] = preview
    return content


def caption(world: World, p: Params, value: str | None = None) -> dict[str, Any]:
    """``{"caption", "caption_entities"}`` (empty dict if there is no caption)."""
    raw = p.get_str("caption") if value is None else value
    if not raw:
        return {}
    text, entities = _format(world, raw, p.get_str("parse_mode"), p.get_json("caption_entities"))
    if len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    content: dict[str, Any] = {"caption": text} if text else {}
    if text and entities:
        content["caption_entities"] = entities
    return content


def _check_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be a String')
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [key for key in INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")
    return button


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" must be an Array of Array')
    return rows


def reply_markup(p: Params) -> dict[str, Any] | None:
    """The validated ``reply_markup`` parameter (as Telegram stores it) or ``None``."""
    markup = p.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None or markup == {}:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = [[_check_inline_button(b) for b in row] for row in _rows(markup, "inline_keyboard")]
        return {"inline_keyboard": rows}
    if "keyboard" in markup:
        rows = [
            [b if isinstance(b, dict) else {"text": str(b)} for b in row]
            for row in _rows(markup, "keyboard")
        ]
        if any(not b.get("text") for row in rows for b in row):
            raise bad_request("keyboard button text must be non-empty")
        return {**markup, "keyboard": rows}
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")
