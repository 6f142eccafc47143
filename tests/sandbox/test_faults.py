"""Injected and modelled failures reach aiogram as the right exceptions."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.sandbox import SandboxClient, SandboxError
from tests.sandbox.conftest import OPERATOR, USER


async def test_blocked_user_is_forbidden(bot: Bot, people: SandboxClient):
    await people.block_user(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "salom")
    photo = await people.user_sends_media(OPERATOR, "photo", chat_id=people.operator_chat_id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.copy_message(USER, people.operator_chat_id, photo["message_id"])
    await people.block_user(USER, blocked=False)
    assert (await bot.send_message(USER, "salom")).text == "salom"


async def test_user_who_never_started_the_bot(bot: Bot, client: SandboxClient):
    await client.create_user(9001, "Quiet", started=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(9001, "hi")


async def test_retry_after(bot: Bot, people: SandboxClient):
    await people.inject_fault("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "x")
    assert info.value.retry_after == 7
    assert "retry after 7" in info.value.message
    assert (await bot.send_message(USER, "x")).text == "x"  # only the next call failed


async def test_deleted_topic(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    topic = await bot.create_forum_topic(group, "Ticket")
    await people.operator_sends_text(OPERATOR, "men shu yerdaman", topic.message_thread_id)
    await people.delete_topic(topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(group, "x", message_thread_id=topic.message_thread_id)
    incoming = await people.user_sends_text(USER, "savol")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(
            group, USER, incoming["message_id"], message_thread_id=topic.message_thread_id
        )
    assert await people.messages(group, thread_id=topic.message_thread_id) == []
    [listed] = await people.topics()
    assert listed["deleted"] is True


async def test_topic_deleted_fault_variant(bot: Bot, people: SandboxClient):
    topic = await bot.create_forum_topic(people.operator_chat_id, "Ticket")
    await people.inject_fault(
        "copyMessage", error_code=400, description="Bad Request: TOPIC_DELETED"
    )
    incoming = await people.user_sends_text(USER, "savol")
    with pytest.raises(TelegramBadRequest, match="TOPIC_DELETED"):
        await bot.copy_message(
            people.operator_chat_id,
            USER,
            incoming["message_id"],
            message_thread_id=topic.message_thread_id,
        )


async def test_migrated_group(bot: Bot, people: SandboxClient):
    old = people.operator_chat_id
    new = await people.migrate_group()
    assert new != old and people.operator_chat_id == new
    with pytest.raises(TelegramMigrateToChat) as info:
        await bot.send_message(old, "x")
    assert info.value.migrate_to_chat_id == new
    assert "group chat was upgraded to a supergroup chat" in info.value.message
    sent = await bot.send_message(new, "x")
    assert sent.chat.id == new
    assert (await people.state())["operator_chat_id"] == new


async def test_fault_for_one_chat_only_and_times(bot: Bot, people: SandboxClient):
    await people.create_user(USER + 1, "Boshqa")
    await people.inject_fault("sendmessage", error_code=403, chat_id=USER, times=2)
    assert await bot.send_message(USER + 1, "ok")
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(USER, "x")
    assert await bot.send_message(USER, "ok")
    [failed, *_] = [c for c in await people.calls("sendMessage") if not c["ok"]]
    assert failed["error"]["error_code"] == 403


async def test_custom_400_and_server_error(bot: Bot, people: SandboxClient):
    await people.inject_fault("*", error_code=400, description="Bad Request: anything")
    with pytest.raises(TelegramBadRequest, match="anything"):
        await bot.get_me()
    await people.inject_fault("getChat", error_code=500)
    with pytest.raises(TelegramServerError):
        await bot.get_chat(USER)


async def test_injected_migration_fault(bot: Bot, people: SandboxClient):
    await people.inject_fault(
        "sendMessage",
        error_code=400,
        migrate_to_chat_id=-100777,
        description="Bad Request: group chat was upgraded to a supergroup chat",
    )
    with pytest.raises(TelegramMigrateToChat) as info:
        await bot.send_message(USER, "x")
    assert info.value.migrate_to_chat_id == -100777


async def test_slow_response_hits_client_timeout(bot: Bot, people: SandboxClient):
    await people.slow_down("sendMessage", 2.0, times=1)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(USER, "x", request_timeout=1)
    assert await bot.send_message(USER, "fast", request_timeout=5)


async def _failures(bot: Bot, chat_id: int, calls: int) -> list[int]:
    """Send ``calls`` messages; the indexes of those that got a 429."""
    failed = []
    for i in range(calls):
        try:
            await bot.send_message(chat_id, f"x{i}")
        except TelegramRetryAfter as exc:
            assert exc.retry_after == 3
            assert "Too Many Requests: retry after 3" in exc.message
            failed.append(i)
    return failed


async def test_random_429_follow_the_seed(bot: Bot, people: SandboxClient):
    await people.random_429("sendMessage", 0.3, seed=7, retry_after=3)
    first = await _failures(bot, USER, 40)
    assert 0 < len(first) < 40
    [fault] = (await people.faults())["faults"]
    assert (fault["failed"], fault["passed"]) == (len(first), 40 - len(first))
    assert fault["times"] is None and fault["probability"] == 0.3
    errors = [c["error"] for c in await people.calls("sendMessage") if not c["ok"]]
    assert errors[0] == {
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert len(errors) == len(first)
    await people.clear_faults()
    assert await _failures(bot, USER, 10) == []  # until cleared, and no longer

    await people.random_429("sendMessage", 0.3, seed=7, retry_after=3)
    assert await _failures(bot, USER, 40) == first  # same seed, same calls: same failures
    await people.clear_faults()
    await people.random_429("sendMessage", 0.3, seed=8, retry_after=3)
    assert await _failures(bot, USER, 40) != first


async def test_random_429_for_one_chat_or_any_method(bot: Bot, people: SandboxClient):
    await people.create_user(USER + 1, "Boshqa")
    await people.random_429("*", 0.5, seed=1, retry_after=3, chat_id=USER)
    assert await _failures(bot, USER + 1, 20) == []
    assert await _failures(bot, USER, 20) != []
    failed_chat_calls = 0
    for _ in range(20):
        try:
            await bot.get_chat(USER)
        except TelegramRetryAfter:
            failed_chat_calls += 1
    assert 0 < failed_chat_calls < 20


async def test_fault_until_cleared(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    await people.inject_fault(
        "createForumTopic",
        error_code=400,
        description="Bad Request: not enough rights to create a topic",
        until_cleared=True,
    )
    for _ in range(5):
        with pytest.raises(TelegramBadRequest) as info:
            await bot.create_forum_topic(group, "Ticket")
        assert info.value.message == "Bad Request: not enough rights to create a topic"
    assert (await bot.send_message(group, "other methods work")).text
    [fault] = (await people.faults())["faults"]
    assert fault["failed"] == 5 and fault["times"] is None and fault["expires_in"] is None
    await people.clear_faults()
    assert (await bot.create_forum_topic(group, "Ticket")).name == "Ticket"


async def test_fault_for_some_seconds(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    await people.inject_fault("createForumTopic", error_code=400, for_seconds=60)
    for _ in range(3):  # not only the next call: every call while it lasts
        with pytest.raises(TelegramBadRequest, match="injected fault"):
            await bot.create_forum_topic(group, "Ticket")
    [fault] = (await people.faults())["faults"]
    assert 0 < fault["expires_in"] <= 60 and fault["failed"] == 3
    await people.clear_faults()

    await people.inject_fault("createForumTopic", error_code=400, for_seconds=0.2)
    with pytest.raises(TelegramBadRequest):
        await bot.create_forum_topic(group, "Ticket")
    await asyncio.sleep(0.3)
    assert (await people.faults())["faults"] == []  # over: it is gone from the list
    assert (await bot.create_forum_topic(group, "Ticket")).name == "Ticket"


async def test_fault_ends_at_its_first_limit(bot: Bot, people: SandboxClient):
    await people.inject_fault("sendMessage", error_code=500, for_seconds=60, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    assert await bot.send_message(USER, "ok")
    assert (await people.faults())["faults"] == []


async def test_bad_fault_requests_are_refused(people: SandboxClient):
    with pytest.raises(SandboxError, match="probability"):
        await people.inject_fault("sendMessage", error_code=429, probability=0)
    with pytest.raises(SandboxError, match="exclude each other"):
        await people.inject_fault("sendMessage", error_code=429, times=2, until_cleared=True)
    with pytest.raises(SandboxError, match="for_seconds"):
        await people.inject_fault("sendMessage", error_code=429, for_seconds=-1)
    assert (await people.faults())["faults"] == []
