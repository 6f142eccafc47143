"""Flood control: one person's burst cannot drown the operators' group, nothing they send is
lost, a poll cannot break a ticket, and a long queue tells newcomers the truth."""

from __future__ import annotations

import asyncio

from bot.config import ROOT
from bot.core.i18n import Catalogs
from bot.knowledge import KnowledgeStore
from tests.e2e.harness import Running, button_data, eventually, new_person
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import OPERATOR, open_ticket

CATALOGS = Catalogs(ROOT / "locales")
_ = CATALOGS.user("ru")
_o = CATALOGS.operator("ru")
NOTICE = _(
    "You are writing very fast. Everything you send is kept and the operator "
    "will read it, but it is no longer shown to them one message at a time. "
    "Please wait for the answer."
)


def said(i: int) -> str:
    """The i-th message of the burst (no digits: the stored history masks numbers)."""
    return f"сообщение {chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)} конец"


async def _history(bot, user_id: int):  # type: ignore[no-untyped-def]
    ticket = await bot.komek.helpdesk.tickets.open_of(user_id)
    return ticket.id, await bot.komek.helpdesk.tickets.history(ticket.id)


async def _drained(bot) -> bool:  # type: ignore[no-untyped-def]
    count, _age = await bot.komek.sender.outbox.depth()
    return count == 0


async def test_300_messages_in_a_minute(bot, person, client):
    await client.add_operator(OPERATOR)
    topic, _header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    other = await new_person(client, 5002)

    async def burst(first: int, last: int) -> None:
        for i in range(first, last):
            await client.user_sends_text(person.id, said(i))

    await burst(0, 150)
    menu, _done = await asyncio.gather(start(other, "ru"), burst(150, 300))
    assert "t:work" in button_data(menu)  # the other person was served meanwhile

    async def stored():  # type: ignore[no-untyped-def]
        _id, history = await _history(bot, person.id)
        return len([h for h in history if h.direction == "in"]) >= 300 and history

    history = await eventually(stored, timeout=90)
    texts = [h.text for h in history if h.direction == "in"]
    assert texts == [said(i) for i in range(300)]  # all of it, in order
    await eventually(lambda: _drained(bot), timeout=30)
    in_group = await client.messages(client.operator_chat_id, from_bot=True)
    assert len(in_group) <= 20
    told = [m for m in await person.bot_messages() if m.get("text") == NOTICE]
    assert len(told) == 1

    # The operator opens what was kept: as text in the topic, nothing copied one by one.
    kept_line = next(m for m in in_group if any(d.startswith("held:") for d in button_data(m)))
    assert kept_line["message_thread_id"] == thread
    await client.operator_presses(OPERATOR, kept_line["message_id"], button_data(kept_line)[0])
    title = _o("Kept messages from the person: {count}").format(count=290)

    async def shown():  # type: ignore[no-untyped-def]
        found = await client.messages(client.operator_chat_id, thread_id=thread, from_bot=True)
        return [m for m in found if title in (m.get("text") or "")]

    [first_part] = await eventually(shown)
    assert said(10) in first_part["text"]
    assert said(9) not in first_part["text"]  # the first ten were copied


async def test_a_poll_is_described_in_the_topic_and_acknowledged(bot, person, client):
    topic, _header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    [reply] = await person.sends("poll")
    assert reply["text"] == _(
        "The operator cannot see this kind of message. Please write it in words, or send a photo."
    )
    said = _o("The person sent a poll; it cannot be shown here.")

    async def described():  # type: ignore[no-untyped-def]
        found = await client.messages(client.operator_chat_id, thread_id=thread, from_bot=True)
        return [m for m in found if m.get("text") == said]

    await eventually(described)
    _id, history = await _history(bot, person.id)
    assert [h.kind for h in history if h.direction == "in"][-1] == "poll"


async def test_a_long_queue_tells_newcomers_and_offers_the_faq(settings, knowledge, client):
    braked = settings.model_copy(update={"brake_waiting": 1})
    running = Running(braked, KnowledgeStore(braked.content_dir, knowledge))
    await running.start()
    try:
        first, second = await new_person(client, 5101), await new_person(client, 5102)
        await open_ticket(first, client)
        await open_ticket(second, client)  # one waits already: not braked yet
        third = await new_person(client, 5103)
        menu = await start(third, "ru")
        reply = await third.press(menu, "h:-", new_messages=1)
        told = _(
            "Many people are waiting for an operator now, so it may take longer. "
            "Your place is kept. Meanwhile, the answers to common questions may help."
        )

        async def braked_reply():  # type: ignore[no-untyped-def]
            return [m for m in await third.bot_messages() if told in (m.get("text") or "")]

        [notice] = await eventually(braked_reply)
        assert "menu" in button_data(notice)
        assert told not in reply["text"]  # the place in the queue came first, as always
    finally:
        await running.stop()


async def test_headers_are_edited_only_when_they_change(bot, person, client):
    """Each refused 'message is not modified' edit was a call from the group's budget."""
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    number = header_ticket(header)
    for data in (f"take:{number}", f"take:{number}", f"tr:{number}", f"tr:{number}"):
        await client.operator_presses(OPERATOR, header["message_id"], data)  # twice each
    for text in ("Здравствуйте", "Сейчас проверю", "Готово"):  # each answer 'takes' again
        await client.operator_sends_text(OPERATOR, text, thread_id=thread)
    await client.wait_for_messages(person.id, 3, after_id=(await person.last())["message_id"] - 3)
    # /reply outside a ticket's topic: told where it works, nothing fails
    general = await client.operator_sends_text(OPERATOR, "/reply hello")
    [told] = await client.wait_for_messages(
        client.operator_chat_id, 1, after_id=general["message_id"], from_bot=True
    )
    assert told["text"] == _o("/reply works in the topic of an open ticket.")
    await eventually(lambda: _drained(bot))
    edits = [c for c in await client.calls() if c["method"].startswith("editMessage")]
    assert edits  # the header did change (taken by the operator)
    assert not [c for c in edits if "error" in c], [c["error"] for c in edits if "error" in c]


def header_ticket(header: dict) -> int:
    return int(next(d for d in button_data(header) if d.startswith("take:")).split(":")[1])
