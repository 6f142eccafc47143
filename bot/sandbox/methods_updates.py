"""Bot API: receiving updates (getUpdates, webhooks) and answering callback queries."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.params import Params
from bot.sandbox.registry import method
from bot.sandbox.state import World

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
CALLBACK_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _allowed(p: Params) -> list[str] | None:
    allowed = p.get_json("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    return [str(x) for x in allowed]


@method("getUpdates")
async def get_updates(world: World, p: Params) -> list[dict[str, Any]]:
    limit = max(1, min(p.get_int("limit", 100) or 100, 100))
    timeout = max(0.0, p.get_float("timeout", 0.0) or 0.0)
    return await world.updates.get_updates(
        p.get_int("offset"), limit, timeout, _allowed(p), lambda: bool(world.webhook.url)
    )


@method("setWebhook")
async def set_webhook(world: World, p: Params) -> bool:
    url = (p.get_str("url") or "").strip()
    if url and not url.startswith(("http://", "https://")):
        # Telegram demands HTTPS; the sandbox also accepts plain HTTP for local bots.
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret and not _SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if p.get_bool("drop_pending_updates"):
        world.updates.drop_all()
    hook = world.webhook
    hook.url = url
    hook.secret_token = secret or None
    hook.max_connections = p.get_int("max_connections", 40) or 40
    allowed = _allowed(p)
    if allowed is not None:
        hook.allowed_updates = allowed
        world.updates.allowed = allowed
    hook.last_error_date = hook.last_error_message = None
    world.updates.notifier.changed()
    return True


@method("deleteWebhook")
async def delete_webhook(world: World, p: Params) -> bool:
    if p.get_bool("drop_pending_updates"):
        world.updates.drop_all()
    world.webhook.url = ""
    world.webhook.secret_token = None
    world.updates.notifier.changed()
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, p: Params) -> dict[str, Any]:
    hook = world.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates.items),
    }
    if hook.url:
        info["ip_address"] = "127.0.0.1"
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
    if hook.last_error_date:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


@method("answerCallbackQuery")
async def answer_callback_query(world: World, p: Params) -> bool:
    query = world.callbacks.get(p.get_str("callback_query_id") or "")
    if query is None or query.get("answered"):
        raise bad_request(CALLBACK_INVALID)
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    world.callback_answers.append(
        {
            "callback_query_id": query["id"],
            "from_id": query["from_id"],
            "chat_id": query["chat_id"],
            "message_id": query["message_id"],
            "data": query["data"],
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time", 0),
        }
    )
    return True
