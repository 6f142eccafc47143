"""With Telegram's sending limits on, a burst of 200 people and 20 open tickets is delivered
within them (about 1/s a chat, 20/min the group, 30/s in all, as the sandbox's send log
shows), and random 429s on top lose not one message."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.sandbox.rates import check_limits
from tests.e2e.harness import button_data, eventually, new_person
from tests.e2e.test_conversation import start

PEOPLE = 200
TICKETS = 20


async def _open(person) -> None:
    menu = await start(person, "ru")
    await person.press(menu, "h:-", new_messages=1)


@pytest.mark.timeout(300)
async def test_a_burst_stays_within_telegrams_limits_and_loses_nothing(bot, client):
    komek = bot.komek
    people = [await new_person(client, 60000 + i) for i in range(PEOPLE)]
    # Set-up with the limits off: everyone past the language and consent, 20 with a ticket.
    for i in range(TICKETS, PEOPLE, 20):
        await asyncio.gather(*(start(p, "ru") for p in people[i : i + 20]))
    await asyncio.gather(*(_open(p) for p in people[:TICKETS]))
    await eventually(lambda: _topics_ready(client, TICKETS), timeout=60)
    await eventually(lambda: _all_sent(komek), timeout=60)

    komek.sender.budget.enabled = True
    await client.random_429("sendMessage", probability=0.05, seed=7, retry_after=1)
    await client.random_429("copyMessage", probability=0.05, seed=8, retry_after=1)
    since = time.time()
    asked = await asyncio.gather(
        *(client.user_sends_text(p.id, "сколько стоит патент") for p in people[TICKETS:])
    )
    written = [f"в тикете {p.id}" for p in people[:TICKETS]]
    await asyncio.gather(
        *(client.user_sends_text(p.id, w) for p, w in zip(people[:TICKETS], written, strict=True))
    )

    async def answered() -> bool:
        for person, sent in zip(people[TICKETS:], asked, strict=True):
            replies = await client.messages(person.id, from_bot=True, after_id=sent["message_id"])
            if not replies or "y:work_permit_cost" not in button_data(replies[0]):
                return False
        return True

    async def copied() -> bool:
        texts = {m.get("text") for m in await client.messages(client.operator_chat_id)}
        return set(written) <= texts

    assert await eventually(answered, timeout=120)
    assert await eventually(copied, timeout=150)  # 20 a minute into the group
    await eventually(lambda: _all_sent(komek), timeout=60)

    log = await client.send_log(since=since)
    assert len(log) >= PEOPLE  # every answer and copy is in it
    assert check_limits(log) == []
    for person, sent in zip(people[TICKETS:], asked, strict=True):  # not one answer twice
        replies = await client.messages(person.id, from_bot=True, after_id=sent["message_id"])
        assert len(replies) == 1


async def _topics_ready(client, count: int) -> bool:
    return len(await client.topics()) >= count


async def _all_sent(komek) -> bool:
    return await komek.inbox.pending() == 0 and (await komek.helpdesk.outbox.depth())[0] == 0
