"""Async client of the sandbox control API, for tests and benchmarks."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

import aiohttp

DEFAULT_OPERATOR_CHAT_ID = -1001000000001


class SandboxError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


def _summary(messages: list[dict[str, Any]]) -> str:
    lines = []
    for m in messages:
        sender = (m.get("from") or {}).get("id")
        body = (
            m.get("text")
            or m.get("caption")
            or next((k for k in m if k not in ("message_id", "from", "chat", "date")), "?")
        )
        thread = f" thread={m['message_thread_id']}" if "message_thread_id" in m else ""
        lines.append(f"  #{m['message_id']} from={sender}{thread}: {str(body)[:80]!r}")
    return "\n".join(lines) or "  (none)"


class SandboxClient:
    """``async with SandboxClient("http://127.0.0.1:8081") as sandbox: ...``"""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._operator_chat_id = DEFAULT_OPERATOR_CHAT_ID

    @property
    def operator_chat_id(self) -> int:
        """The operators' forum group (refreshed by :meth:`reset`, :meth:`state` and migration)."""
        return self._operator_chat_id

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        http_timeout: float = 30.0,
    ) -> Any:
        """Call ``/control{path}``; return ``result`` or raise :class:`SandboxError`."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        query = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (params or {}).items()
            if v is not None
        }
        async with self._session.request(
            method,
            f"{self.base_url}/control{path}",
            json=json,
            params=query,
            timeout=aiohttp.ClientTimeout(total=http_timeout),
        ) as resp:
            body = await resp.json()
        if not body.get("ok"):
            raise SandboxError(resp.status, str(body.get("error")))
        return body["result"]

    # -- world ------------------------------------------------------------------------------
    async def reset(self) -> dict[str, Any]:
        info = await self.request("POST", "/reset")
        self._operator_chat_id = info["operator_chat_id"]
        return info

    async def state(self) -> dict[str, Any]:
        info = await self.request("GET", "/state")
        self._operator_chat_id = info["operator_chat_id"]
        return info

    async def create_user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "ru",
        username: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {
            "user_id": user_id,
            "first_name": first_name,
            "language_code": language_code,
            "username": username,
            **fields,
        }
        return await self.request("POST", "/users", body)

    async def create_group(
        self, title: str = "Group", chat_id: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """Options: is_forum, type, bot_status, bot_rights, username, operator_group."""
        body = {"title": title, "chat_id": chat_id, **options}
        return await self.request("POST", "/groups", body)

    async def add_operator(
        self,
        user_id: int,
        first_name: str = "Operator",
        chat_id: int | None = None,
        status: str = "member",
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else self._operator_chat_id
        body = {"user_id": user_id, "first_name": first_name, "status": status}
        return await self.request("POST", f"/groups/{chat}/members", body)

    async def block_user(self, user_id: int, blocked: bool = True) -> None:
        await self.request("POST", f"/users/{user_id}/block", {"blocked": blocked})

    async def migrate_group(self, chat_id: int | None = None) -> int:
        old = chat_id if chat_id is not None else self._operator_chat_id
        new_id = int((await self.request("POST", f"/groups/{old}/migrate"))["new_chat_id"])
        if old == self._operator_chat_id:
            self._operator_chat_id = new_id
        return new_id

    # -- people -----------------------------------------------------------------------------
    async def send(self, from_id: int, kind: str = "text", **fields: Any) -> dict[str, Any]:
        """Generic person action behind all ``*_sends_*`` helpers (see ``/control/send``)."""
        return await self.request("POST", "/send", {"from_id": from_id, "kind": kind, **fields})

    async def user_sends_text(self, user_id: int, text: str, **fields: Any) -> dict[str, Any]:
        return await self.send(user_id, "text", text=text, **fields)

    async def user_edits(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A person (or, with ``chat_id``, an operator in the group) edits a message."""
        body = {"from_id": user_id, "message_id": message_id, "text": text, "chat_id": chat_id}
        return await self.request("POST", "/edit", body)

    async def user_sends_media(
        self, user_id: int, kind: str, caption: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """kind: photo, voice, document, video, video_note, sticker, animation, audio,
        location, contact. ``data_base64``/``file_name`` give real bytes and a name."""
        return await self.send(user_id, kind, caption=caption, **extra)

    async def user_sends_album(
        self, user_id: int, kinds: list[str], caption: str | None = None
    ) -> list[dict[str, Any]]:
        body = {"from_id": user_id, "kinds": kinds, "caption": caption}
        return await self.request("POST", "/album", body)

    async def user_presses(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        body = {"from_id": user_id, "message_id": message_id, "data": data}
        return await self.request("POST", "/press", body)

    async def operator_sends_text(
        self,
        operator_id: int,
        text: str,
        thread_id: int | None = None,
        chat_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else self._operator_chat_id
        return await self.send(
            operator_id, "text", text=text, chat_id=chat, thread_id=thread_id, **fields
        )

    async def operator_sends_media(
        self,
        operator_id: int,
        kind: str,
        thread_id: int | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else self._operator_chat_id
        return await self.send(
            operator_id, kind, caption=caption, chat_id=chat, thread_id=thread_id, **extra
        )

    async def operator_presses(
        self,
        operator_id: int,
        message_id: int,
        data: str,
        chat_id: int | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """``force``: any data, and from someone who is no longer a member."""
        chat = chat_id if chat_id is not None else self._operator_chat_id
        body = {"from_id": operator_id, "message_id": message_id, "data": data, "chat_id": chat}
        if force:
            body["force"] = True
        return await self.request("POST", "/press", body)

    # -- reading ----------------------------------------------------------------------------
    async def messages(
        self,
        chat_id: int,
        *,
        thread_id: int | None = None,
        after_id: int = 0,
        from_bot: bool | None = None,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Messages of a chat, oldest first; ``thread_id=1`` means the General topic."""
        params = {
            "thread_id": thread_id,
            "after_id": after_id,
            "from_bot": from_bot,
            "include_deleted": include_deleted or None,
        }
        return await self.request("GET", f"/chats/{chat_id}/messages", params=params)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        *,
        thread_id: int | None = None,
        after_id: int = 0,
        from_bot: bool | None = True,
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` matching messages exist; raise ``TimeoutError``."""
        params = {
            "thread_id": thread_id,
            "after_id": after_id,
            "from_bot": from_bot,
            "count": count,
            "wait": timeout,
        }
        started = time.monotonic()
        found = await self.request(
            "GET", f"/chats/{chat_id}/messages", params=params, http_timeout=timeout + 10
        )
        if len(found) >= count:
            return found
        everything = await self.messages(chat_id, after_id=after_id)
        raise TimeoutError(
            f"waited {time.monotonic() - started:.1f}s for {count} message(s) in chat {chat_id} "
            f"(thread_id={thread_id}, after_id={after_id}, from_bot={from_bot}); "
            f"{len(found)} matched. Messages after #{after_id} in the chat:\n{_summary(everything)}"
        )

    async def topics(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        chat = chat_id if chat_id is not None else self._operator_chat_id
        return await self.request("GET", f"/chats/{chat}/topics")

    async def delete_topic(self, thread_id: int, chat_id: int | None = None) -> None:
        await self._topic_action(thread_id, "delete", chat_id)

    async def close_topic(
        self, thread_id: int, chat_id: int | None = None, by: int | None = None
    ) -> None:
        await self._topic_action(thread_id, "close", chat_id, by)

    async def reopen_topic(
        self, thread_id: int, chat_id: int | None = None, by: int | None = None
    ) -> None:
        await self._topic_action(thread_id, "reopen", chat_id, by)

    async def _topic_action(
        self, thread_id: int, action: str, chat_id: int | None, by: int | None = None
    ) -> None:
        chat = chat_id if chat_id is not None else self._operator_chat_id
        await self.request("POST", f"/chats/{chat}/topics/{thread_id}/{action}", {"from_id": by})

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        return await self.request("GET", "/calls", params={"method": method})

    async def send_log(
        self, chat_id: int | None = None, *, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Every successful call that put something in a chat, oldest first:
        ``{"at", "chat_id", "thread_id", "method", "messages"}`` (``at`` is time.time() when the
        call arrived, as Telegram counts it).
        Feed it to :func:`bot.sandbox.rates.check_limits`."""
        return await self.request("GET", "/send_log", params={"chat_id": chat_id, "since": since})

    async def callback_answers(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/callback_answers")

    async def pending_updates(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/updates")

    # -- faults -----------------------------------------------------------------------------
    async def inject_fault(
        self,
        method: str,
        *,
        error_code: int,
        description: str = "",
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int | None = None,
        migrate_to_chat_id: int | None = None,
        probability: float = 1.0,
        seed: int = 0,
        for_seconds: float | None = None,
        until_cleared: bool = False,
    ) -> None:
        """Make calls of ``method`` ("*" = any), optionally only to ``chat_id``, fail.

        By default the next call fails. ``times`` fails that many calls; ``for_seconds``
        fails every matching call for that long; ``until_cleared`` until
        :meth:`clear_faults`; ``probability`` < 1 fails each matching call with that
        probability (seeded by ``seed``) until cleared, or for ``times`` failures or
        ``for_seconds``. A 429 carries ``parameters.retry_after`` (``retry_after``, default 1)
        and the text ``Too Many Requests: retry after N`` unless ``description`` is given.
        """
        body = {
            "method": method,
            "error_code": error_code,
            "description": description,
            "retry_after": retry_after,
            "chat_id": chat_id,
            "times": times,
            "migrate_to_chat_id": migrate_to_chat_id,
            "probability": probability,
            "seed": seed,
            "for_seconds": for_seconds,
            "until_cleared": until_cleared,
        }
        await self.request("POST", "/faults", body)

    async def random_429(
        self,
        method: str = "*",
        probability: float = 0.1,
        *,
        seed: int = 0,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Until cleared, each matching call fails with ``429 Too Many Requests: retry after
        N`` with ``probability``, drawn from a generator seeded with ``seed``."""
        await self.inject_fault(
            method,
            error_code=429,
            retry_after=retry_after,
            chat_id=chat_id,
            probability=probability,
            seed=seed,
            until_cleared=True,
        )

    async def faults(self) -> dict[str, Any]:
        """``{"faults": [...], "delays": [...]}``: live faults with ``failed``/``passed``
        counts, ``times`` left and ``expires_in`` seconds."""
        return await self.request("GET", "/faults")

    async def clear_faults(self) -> None:
        await self.request("DELETE", "/faults")

    async def slow_down(self, method: str, seconds: float, times: int | None = None) -> None:
        """Delay answers to ``method`` by ``seconds`` (for ``times`` calls, or until reset)."""
        await self.request(
            "POST", "/delays", {"method": method, "seconds": seconds, "times": times}
        )
