"""/audit shows the administrator who signed in to the console and who exported its figures."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import make_app
from bot.knowledge import KnowledgeStore
from bot.sandbox.server import run_sandbox
from tests.console.conftest import bot_settings, make_console, sign_in
from tests.e2e.harness import Running
from tests.e2e.test_operators import operator_command

ADMIN, COORDINATOR = 9009, 7101


async def test_audit_lists_console_sign_ins_and_exports(tmp_path, knowledge):
    async with run_sandbox(port=0) as sandbox:
        client = sandbox.client
        settings = bot_settings(tmp_path, sandbox, COORDINATOR)
        running = Running(settings, KnowledgeStore(settings.content_dir, knowledge))
        komek = await running.start()
        try:
            await client.add_operator(ADMIN, first_name="Gulnar", status="administrator")

            console = await make_console(settings, komek.sessions, komek.store)
            async with TestClient(TestServer(make_app(console))) as web:
                await sign_in(web, console, COORDINATOR)
                page = await web.get("/export.csv?start=2026-11-01&end=2026-11-30")
                assert page.status == 200
            audit = (await operator_command(client, ADMIN, "/audit"))["text"]
        finally:
            await running.stop()
    lines = audit.splitlines()
    assert lines[0] == "Refusals, changes of membership, console sign-ins and exports"
    exported, signed_in = lines[1], lines[2]  # newest first
    assert exported.endswith(
        f"({COORDINATOR}) · exported the console's figures (csv 2026-11-01..2026-11-30)"
    )
    assert signed_in.endswith(f"({COORDINATOR}) · signed in to the console (link as coordinator)")
