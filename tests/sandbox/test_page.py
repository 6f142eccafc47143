"""The web page: served at /, self-contained, and its JavaScript renders entities safely."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess

import aiohttp
import pytest

from bot.markup import utf16_len
from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.server import index_html
from tests.sandbox.conftest import USER


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
