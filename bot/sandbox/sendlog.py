"""The send log: which calls put something in a chat, where and when.

It is a view over the call log (``World.calls``): :func:`bot.sandbox.api.call_method` adds a
``sent`` record (``at``, ``chat_id``, ``thread_id``, ``messages``) to every successful call of
a method in :func:`is_send_method`, and :func:`send_log` lists them. ``at`` is ``time.time()``
when the call arrived: Telegram's limits count the requests it receives.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import ApiError
from bot.sandbox.state import GENERAL_THREAD_ID, World

# Besides every send* method except sendChatAction (which shows nothing in the chat).
OTHER_SEND_METHODS = frozenset(
    {
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "createForumTopic",
        "editForumTopic",
        "closeForumTopic",
        "reopenForumTopic",
        "deleteForumTopic",
    }
)
TOPIC_METHODS = frozenset(
    {"editForumTopic", "closeForumTopic", "reopenForumTopic", "deleteForumTopic"}
)


def is_send_method(method: str) -> bool:
    """Whether a successful call of ``method`` (canonical spelling) goes in the send log."""
    if method.startswith("send"):
        return method != "sendChatAction"
    return method in OTHER_SEND_METHODS


def _message(result: Any) -> dict[str, Any] | None:
    """The (first) Message in a result, if the result carries whole messages."""
    if isinstance(result, list):
        result = result[0] if result else None
    if isinstance(result, dict) and isinstance(result.get("chat"), dict):
        return result
    return None


def _chat_id(world: World, params: dict[str, Any], message: dict[str, Any] | None) -> Any:
    if message is not None:
        return message["chat"]["id"]
    raw = params.get("chat_id")
    if isinstance(raw, str):
        try:
            return world.chat(raw if raw.startswith("@") else int(raw)).id
        except (ApiError, ValueError):
            return raw
    return raw


def _thread_id(method: str, params: dict[str, Any], result: Any, message: Any) -> int | None:
    if method == "createForumTopic" and isinstance(result, dict):
        return result.get("message_thread_id")
    if message is not None:
        return message.get("message_thread_id")
    raw = params.get("message_thread_id")
    try:
        thread = int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if method not in TOPIC_METHODS and thread in (0, GENERAL_THREAD_ID):
        return None  # like sendMessage into General: no thread
    return thread


def sent_to(world: World, method: str, params: dict[str, Any], result: Any) -> dict | None:
    """``{"chat_id", "thread_id", "messages"}`` for a successful send-like call, else None.

    ``params`` are the logged (decoded) parameters; ``messages`` counts the messages one call
    put in the chat (an album or copyMessages puts several).
    """
    if not is_send_method(method) or result == []:
        return None  # an empty result (copyMessages of deleted messages) put nothing there
    message = _message(result)
    return {
        "chat_id": _chat_id(world, params, message),
        "thread_id": _thread_id(method, params, result, message),
        "messages": len(result) if isinstance(result, list) else 1,
    }


def send_log(
    calls: list[dict[str, Any]], chat_id: int | None = None, since: float | None = None
) -> list[dict[str, Any]]:
    """``{"at", "chat_id", "thread_id", "method", "messages"}`` of every logged send, oldest
    first; ``chat_id`` keeps one chat, ``since`` keeps those with ``at >= since``."""
    out = []
    for call in calls:
        sent = call.get("sent")
        if sent is None:
            continue
        if chat_id is not None and str(sent["chat_id"]) != str(chat_id):
            continue
        if since is not None and sent["at"] < since:
            continue
        out.append({**sent, "method": call["method"]})
    return out
