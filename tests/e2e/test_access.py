"""Access follows the operators' group: who leaves loses it at once, who joins gets it, a
transfer goes only to a current operator, and every refusal shows in /audit."""

from __future__ import annotations

from bot.telegram import team
from tests.e2e.harness import button_data, eventually
from tests.e2e.test_escalation import OPERATOR, open_ticket
from tests.e2e.test_operators import COLLEAGUE, general, operator_command, ticket_row

ADMIN = 9009
ONLY_OPERATORS = "Только операторы горячей линии могут это делать."


async def _answers(client, operator: int, count: int) -> list[dict] | None:
    """The bot's answers to this operator's button presses, once there are `count`."""
    found = [a for a in await client.callback_answers() if a["from_id"] == operator]
    return found if len(found) >= count else None


async def _general_with(client, text: str) -> dict | None:
    return next((m for m in await general(client) if text in (m.get("text") or "")), None)


async def _header(client, message_id: int) -> dict:
    messages = await client.messages(client.operator_chat_id)
    return next(m for m in messages if m["message_id"] == message_id)


async def test_a_removed_operator_reaches_nobody_and_is_let_in_again_on_return(bot, person, client):
    await client.add_operator(OPERATOR, first_name="Aida")
    await client.add_operator(ADMIN, first_name="Gulnar", status="administrator")
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    await client.operator_sends_text(OPERATOR, "Здравствуйте, я оператор.", thread_id=thread)
    [hello] = await client.wait_for_messages(
        person.id, 1, after_id=(await person.last())["message_id"]
    )

    [poll, *_] = reversed(await client.calls("getUpdates"))
    assert "chat_member" in poll["params"]["allowed_updates"]  # Telegram is asked for them

    # Aida is removed from the group: her ticket goes back to the queue, colleagues are told.
    await client.add_operator(OPERATOR, first_name="Aida", status="kicked")
    notice = await eventually(lambda: _general_with(client, "Aida"))
    assert "больше не в группе" in notice["text"] and "#1" in notice["text"]
    assert (await ticket_row(bot)).status == "waiting"

    # What Telegram still delivers from her is refused, each with a word to her.
    await client.operator_presses(OPERATOR, header["message_id"], "take:1", force=True)
    await client.operator_presses(OPERATOR, header["message_id"], "trto:1-op9009", force=True)
    late = await client.operator_sends_text(OPERATOR, "Ещё вопрос?", thread_id=thread, force=True)
    await client.operator_sends_text(OPERATOR, "/reply hello", thread_id=thread, force=True)
    answers = await eventually(lambda: _answers(client, OPERATOR, 2))
    assert [a["text"] for a in answers] == [ONLY_OPERATORS, ONLY_OPERATORS]
    said = await client.wait_for_messages(
        client.operator_chat_id, 2, thread_id=thread, after_id=late["message_id"]
    )
    assert [m["text"] for m in said] == [ONLY_OPERATORS, ONLY_OPERATORS]
    assert [m["message_id"] for m in await person.bot_messages()][-1] == hello["message_id"]
    row = await ticket_row(bot)
    assert row.status == "waiting" and row.assignee_id is None

    # The administrator sees who was refused what.
    audit = await operator_command(client, ADMIN, "/audit")
    for what in ("button take", "button trto", "message", "/reply", "вышел(ла) из группы"):
        assert what in audit["text"]
    assert f"Aida ({OPERATOR})" in audit["text"]

    # Added again, she takes the ticket and the person hears from her.
    await client.add_operator(OPERATOR, first_name="Aida")
    await eventually(lambda: _audit_says(client, "вступил(а) в группу"))
    await client.operator_presses(OPERATOR, header["message_id"], "take:1")
    answers = await eventually(lambda: _answers(client, OPERATOR, 3))
    assert answers[-1]["text"] == "Вы взяли обращение №1."
    await client.operator_sends_text(OPERATOR, "Я снова здесь.", thread_id=thread)
    [back] = await client.wait_for_messages(person.id, 1, after_id=hello["message_id"])
    assert back["text"] == "Я снова здесь."


async def _audit_says(client, text: str) -> bool:
    return text in (await operator_command(client, ADMIN, "/audit"))["text"]


async def test_a_transfer_goes_only_to_someone_in_the_group(bot, person, client):
    await client.add_operator(OPERATOR, first_name="Aida")
    await client.add_operator(COLLEAGUE, first_name="Bolat")
    await client.add_operator(ADMIN, first_name="Gulnar", status="administrator")
    _topic, header = await open_ticket(person, client)
    await operator_command(client, COLLEAGUE, "/langs ru")  # Bolat is on the team
    await client.operator_presses(OPERATOR, header["message_id"], "take:1")
    await eventually(lambda: _answers(client, OPERATOR, 1))
    await client.operator_presses(OPERATOR, header["message_id"], "tr:1")
    offer = f"trto:1-op{COLLEAGUE}"
    await eventually(lambda: _offers(client, header))
    assert offer in button_data(await _header(client, header["message_id"]))

    # Bolat leaves the group; the list Aida still has on screen offers him.
    await client.add_operator(COLLEAGUE, first_name="Bolat", status="left")
    await eventually(lambda: _audit_says(client, "вышел(ла) из группы"))
    await client.operator_presses(OPERATOR, header["message_id"], offer)
    # A forged button with the person's own id.
    await client.operator_presses(
        OPERATOR, header["message_id"], f"trto:1-op{person.id}", force=True
    )
    answers = await eventually(lambda: _answers(client, OPERATOR, 4))
    assert [a["text"] for a in answers[-2:]] == [
        f"Не передано: {COLLEAGUE} — не оператор этой группы.",
        f"Не передано: {person.id} — не оператор этой группы.",
    ]
    assert all(a["show_alert"] for a in answers[-2:])
    row = await ticket_row(bot)
    assert row.status == "taken" and row.assignee_id == OPERATOR
    audit = await operator_command(client, ADMIN, "/audit")
    assert f"transfer to {COLLEAGUE}" in audit["text"]
    assert "transfer outside the team" in audit["text"] and str(person.id) not in audit["text"]

    # The list she sees now leaves him out; /audit is not for operators.
    await eventually(lambda: _offers(client, header, offer, False))
    refused = await operator_command(client, OPERATOR, "/audit")
    assert refused["text"] == "Журнал аудита видят только администраторы."


async def _offers(client, header, offer: str = "trto:", offered: bool = True) -> bool:
    data = button_data(await _header(client, header["message_id"]))
    return any(d.startswith(offer) for d in data) is offered


async def test_a_failed_membership_check_is_retried_not_taken_as_no(
    bot, person, client, monkeypatch
):
    monkeypatch.setattr(team, "MEMBERSHIP_TTL", 0.0)  # every action asks Telegram
    await client.add_operator(OPERATOR, first_name="Aida")
    _topic, header = await open_ticket(person, client)
    await client.inject_fault("getChatMember", error_code=502, until_cleared=True)
    await client.operator_presses(OPERATOR, header["message_id"], "take:1")
    await eventually(lambda: _failed_checks(client, 4))  # tried again, and again later
    assert not await _answers(client, OPERATOR, 1)  # not refused meanwhile
    await client.clear_faults()
    [answer] = await eventually(lambda: _answers(client, OPERATOR, 1))
    assert answer["text"] == "Вы взяли обращение №1."
    await eventually(lambda: _assignee_is(bot, OPERATOR))


async def _assignee_is(bot, operator: int) -> bool:
    return (await ticket_row(bot)).assignee_id == operator


async def _failed_checks(client, count: int) -> bool:
    calls = await client.calls("getChatMember")
    return len([c for c in calls if c.get("error")]) >= count


async def test_a_departure_handled_by_one_process_holds_in_every_process(bot, client):
    komek = bot.komek
    elsewhere = team.Operators(komek.bot, komek.helpdesk, komek.queue, komek.store)
    await eventually(lambda: client.calls("getUpdates"))  # the bot asks for chat_member
    await client.add_operator(OPERATOR, first_name="Aida")
    await eventually(lambda: elsewhere.is_member(OPERATOR))  # remembered there as a member
    await client.add_operator(OPERATOR, first_name="Aida", status="kicked")
    await eventually(lambda: _audit_says_of(komek, OPERATOR, "member_left"))
    assert not await elsewhere.is_member(OPERATOR)


async def _audit_says_of(komek, operator: int, kind: str) -> bool:
    return any(e.kind == kind and e.actor_id == operator for e in await komek.queue.audit())
