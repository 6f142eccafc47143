"""The console in a real headless Chromium (Debian's chromium and chromedriver, Selenium):
sign in with a one-time link, the dashboard's charts are drawn, the gaps page shows its
groups. Skipped, saying why, where no browser is installed. With KOMEK_CONSOLE_SCREENSHOTS
set to a folder, the dashboard and the gaps page are saved there as PNG (docs/console.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.console.app import make_app
from bot.console.auth import mint_link
from tests.console.conftest import COORDINATOR
from tests.console.test_console import END, START, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
MISSING = "no headless browser: apt-get install chromium chromium-driver"
if os.environ.get("KOMEK_TEST_BROWSER_REQUIRED") and not (CHROMIUM and DRIVER):
    raise RuntimeError(f"the browser test must run here (.ci/run installs it): {MISSING}")
selenium = pytest.importorskip(
    "selenium", reason="selenium is not installed (pip install selenium)"
)
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason=MISSING)


def _browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,2400"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


async def test_sign_in_and_see_the_charts_drawn(console):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    await seed(console)
    shots = os.environ.get("KOMEK_CONSOLE_SCREENSHOTS")
    async with TestServer(make_app(console)) as server:
        base = str(server.make_url("")).rstrip("/")
        token = await mint_link(console.sessions, COORDINATOR)
        browser = await asyncio.to_thread(_browser)
        try:

            def dashboard() -> int:
                browser.get(f"{base}/login/link/{token}")
                browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/"))
                browser.get(f"{base}/?start={START}&end={END}&lang=ru")
                WebDriverWait(browser, 20).until(
                    lambda b: b.find_elements(By.CSS_SELECTOR, "canvas[data-drawn='1']")
                )
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    browser.save_screenshot(str(Path(shots) / "console-dashboard.png"))
                return len(browser.find_elements(By.CSS_SELECTOR, "canvas[data-drawn='1']"))

            assert await asyncio.to_thread(dashboard) == 9

            def gaps() -> str:
                browser.get(f"{base}/gaps")
                if shots:
                    browser.save_screenshot(str(Path(shots) / "console-gaps.png"))
                return browser.page_source

            assert "work_permit" in await asyncio.to_thread(gaps)

            def signed_out() -> str:
                browser.delete_all_cookies()
                browser.get(f"{base}/")
                return browser.page_source

            page = await asyncio.to_thread(signed_out)
            assert "/console" in page and "canvas" not in page
        finally:
            await asyncio.to_thread(browser.quit)
    assert dt.date.today() >= END
