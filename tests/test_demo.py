"""`komek demo`, as the README's quick start runs it: the page is served and the bot answers."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import aiohttp

from bot.config import ROOT
from bot.sandbox.client import SandboxClient


async def _demo(env: dict) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",  # the system picks a free port; the demo prints the one it got
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    line = ""
    async with asyncio.timeout(60):
        while "open http" not in line:
            line = (await process.stdout.readline()).decode()
            assert line, "demo exited before printing its address"
    found = re.search(r"open (http://127\.0\.0\.1:\d+)/", line)
    assert found, line
    return process, found.group(1)


async def _answers_a_new_person(url: str) -> None:
    async with SandboxClient(url) as client:
        await client.state()
        await client.create_user(4242)
        sent = await client.user_sends_text(4242, "/start")
        [picker] = await client.wait_for_messages(4242, 1, after_id=sent["message_id"])
        assert "Русский" in str(picker["reply_markup"])


async def test_demo_serves_the_chat_page_and_the_bot_answers(tmp_path):
    env = {**os.environ, "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3"}
    env.pop("KOMEK_BOT_TOKEN", None)
    process, url = await _demo(env)
    try:
        async with aiohttp.ClientSession() as http, http.get(url + "/") as page:
            assert page.status == 200
            assert "<!doctype html>" in (await page.text()).lower()
        await _answers_a_new_person(url)
    finally:
        process.terminate()
        await process.wait()

    # Started again on the same database, with a new sandbox that numbers its updates anew:
    # the first messages are answered all the same (they are not taken for handled ones).
    process, url = await _demo(env)
    try:
        await _answers_a_new_person(url)
    finally:
        process.terminate()
        await process.wait()
