"""The web page: served at /, self-contained, and its JavaScript renders entities safely."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.markup import utf16_len
from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.server import index_html
from tests.sandbox.conftest import OPERATOR, USER

OTHER = 5002


def page_script() -> str:
    match = re.search(r"<script>(.*)</script>", index_html(), re.S)
    assert match is not None
    return match.group(1)


async def test_index_is_served(sandbox: Sandbox):
    async with aiohttp.ClientSession() as http, http.get(f"{sandbox.base_url}/") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        page = await resp.text()
    assert "<title>Komek sandbox</title>" in page
    assert 'name="viewport"' in page and "@media (max-width" in page
    # No external resources: the machine running it may have no internet.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page


async def test_poll_wakes_on_change(people: SandboxClient):
    version = (await people.request("GET", "/poll", params={"wait": 0}))["version"]
    poll = asyncio.create_task(
        people.request("GET", "/poll", params={"version": version, "wait": 10})
    )
    await asyncio.sleep(0.2)
    assert not poll.done()
    await people.user_sends_text(USER, "salom")
    assert (await asyncio.wait_for(poll, 3))["version"] != version


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_javascript_is_valid_and_escapes(tmp_path):
    script = page_script()
    full = tmp_path / "page.js"
    full.write_text(script)
    subprocess.run(["node", "--check", str(full)], check=True)
    helpers = script[script.index("function esc") : script.index("function fileUrl")]
    text = "<img src=x onerror=alert(1)> & 😀 bold"
    offset = utf16_len(text) - 4
    cases = [
        (text, [{"type": "bold", "offset": offset, "length": 4}]),
        ("link", [{"type": "text_link", "offset": 0, "length": 4, "url": "javascript:alert(1)"}]),
    ]
    probe = tmp_path / "probe.js"
    probe.write_text(
        helpers
        + f"\nconst cases = {json.dumps(cases)};\n"
        + "console.log(JSON.stringify(cases.map(([t, e]) => renderEntities(t, e))));\n"
    )
    result = subprocess.run(["node", str(probe)], check=True, capture_output=True, text=True)
    first, second = json.loads(result.stdout)
    assert first.startswith("&lt;img src=x onerror=alert(1)&gt; &amp; 😀")
    assert first.endswith("<b>bold</b>")
    assert 'href="#"' in second and "javascript" not in second


def with_date(sandbox: Sandbox, chat_id: int, seconds_ago: int) -> None:
    """Age every message of a chat, as if it was written ``seconds_ago``."""
    for stored in sandbox.state.chats[chat_id].messages.values():
        stored.data["date"] -= seconds_ago


async def test_state_tells_migrants_from_operators(sandbox: Sandbox, people: SandboxClient):
    await people.user_sends_text(USER, "salom")
    await people.send(OPERATOR, "text", text="/start")  # an operator may write privately too
    state = await people.state()
    users = {u["id"]: u for u in state["users"]}
    assert users[USER]["is_operator"] is False and users[OPERATOR]["is_operator"] is True
    assert users[USER]["private_messages"] == 1 and users[USER]["last_message_id"] == 1
    assert isinstance(users[USER]["last_message_date"], int)
    # The page's default migrant is never an operator, even one who wrote last.
    assert state["default_user_id"] == USER
    assert {u["id"] for u in await people.request("GET", "/users")} == {USER, OPERATOR}
    await people.create_user(OTHER, "Bobur")
    assert (await people.state())["users"][-1]["private_messages"] == 0


async def test_view_picks_the_migrant_with_the_newest_private_message(
    sandbox: Sandbox, people: SandboxClient
):
    assert (await people.request("GET", "/view"))["user_id"] == USER  # the only migrant
    await people.create_user(OTHER, "Bobur")
    assert (await people.request("GET", "/view"))["user_id"] == OTHER  # no messages: the newest
    await people.user_sends_text(USER, "salom")
    await people.user_sends_text(OTHER, "privet")
    with_date(sandbox, OTHER, 60)
    view = await people.request("GET", "/view")
    assert view["user_id"] == USER
    assert [m["text"] for m in view["private"]] == ["salom"]
    # A wanted migrant stays; an operator or an unknown id falls back to the default.
    chosen = await people.request("GET", "/view", params={"user_id": OTHER})
    assert chosen["user_id"] == OTHER and [m["text"] for m in chosen["private"]] == ["privet"]
    for wrong in (OPERATOR, 424242):
        assert (await people.request("GET", "/view", params={"user_id": wrong}))["user_id"] == USER


async def test_view_shows_general_and_topics(people: SandboxClient):
    group = people.operator_chat_id
    await people.operator_sends_text(OPERATOR, "hello team")  # no message_thread_id: General
    topic = await people.request(
        "POST", f"/chats/{group}/topics", {"from_id": OPERATOR, "name": "Ticket"}
    )
    thread = topic["message_thread_id"]
    await people.operator_sends_text(OPERATOR, "in the ticket", thread_id=thread)

    general = await people.request("GET", "/view")
    assert (general["chat_id"], general["thread_id"]) == (group, 1)
    assert general["operator_id"] == OPERATOR
    assert [m.get("text") for m in general["group"]] == ["hello team"]
    assert "message_thread_id" not in general["group"][0]

    ticket = await people.request("GET", "/view", params={"thread_id": thread})
    assert ticket["thread_id"] == thread
    texts = [m.get("text") for m in ticket["group"]]
    assert texts[-1] == "in the ticket" and "hello team" not in texts
    # Gone topics, groups and operators fall back to General, the operator group, the first one.
    await people.delete_topic(thread)
    deleted = await people.request("GET", "/view", params={"thread_id": thread})
    assert deleted["thread_id"] == thread and all(m.get("_deleted") for m in deleted["group"])
    stale = {"thread_id": 999, "chat_id": -1, "operator_id": USER}
    fallback = await people.request("GET", "/view", params=stale)
    assert (fallback["chat_id"], fallback["thread_id"], fallback["operator_id"]) == (
        group,
        1,
        OPERATOR,
    )


async def test_view_on_an_empty_world(client: SandboxClient):
    view = await client.request("GET", "/view")
    assert view["user_id"] is None and view["private"] == []
    assert view["chat_id"] == client.operator_chat_id and view["operator_id"] is None
    assert view["state"]["default_user_id"] is None


async def test_buttons_press_and_wait_for_the_answer(bot: Bot, people: SandboxClient):
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ha", callback_data="yes")]]
    )
    sent = await bot.send_message(USER, "Davom etamizmi?", reply_markup=markup)
    [shown] = (await people.request("GET", "/view"))["private"]
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"

    # What the page does when a button is pressed: /press, then wait for the bot's answer.
    update = await people.request(
        "POST", "/press", {"from_id": USER, "message_id": sent.message_id, "data": "yes"}
    )
    query_id = update["callback_query"]["id"]
    path = "/callback_answers"
    assert await people.request("GET", path, params={"callback_query_id": query_id}) == []
    waiting = asyncio.create_task(
        people.request("GET", path, params={"callback_query_id": query_id, "wait": 5})
    )
    await asyncio.sleep(0.2)
    assert not waiting.done()
    assert await bot.answer_callback_query(query_id, text="Yaxshi")
    [answer] = await asyncio.wait_for(waiting, 3)
    assert answer["text"] == "Yaxshi" and answer["data"] == "yes"
    assert len(await people.callback_answers()) == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_fallback_for_an_older_sandbox_picks_a_migrant(tmp_path):
    """Without /control/view the page builds the same selection from /state and /chats."""
    script = page_script()
    plan = script[script.index("const ACTIVE") : script.index("async function legacyView")]
    member = {"user": {"id": OPERATOR, "is_bot": False}, "status": "member"}
    state = {
        "operator_chat_id": -100,
        "users": [
            {"id": USER, "is_bot": False, "first_name": "Aziz"},
            {"id": OPERATOR, "is_bot": False, "first_name": "Dana"},
        ],
        "groups": [{"id": -100, "members": [member], "topics": [], "migrated_to": None}],
    }
    chats = [{"id": USER, "message_count": 3}, {"id": OPERATOR, "message_count": 0}]
    probe = tmp_path / "plan.js"
    probe.write_text(
        "const ui = {userId: null, groupId: null, threadId: 1, opId: null};\n"
        + plan
        + f"\nconst p = legacyPlan({json.dumps(state)}, {json.dumps(chats)});\n"
        + "console.log(JSON.stringify(p));\n"
    )
    result = subprocess.run(["node", str(probe)], check=True, capture_output=True, text=True)
    out = json.loads(result.stdout)
    assert out["view"]["user_id"] == USER and out["view"]["operator_id"] == OPERATOR
    assert out["paths"] == [f"/chats/{USER}/messages", "/chats/-100/messages?thread_id=1"]
