"""The console in a real headless Chromium (Debian's chromium and chromedriver, Selenium),
one browser for the module: sign in with a one-time link, the dashboard's charts are drawn,
the CSV export downloaded and its numbers read, a group of unanswered questions marked
handled, its YAML snippet downloaded and accepted by `komek content check`; an expired or
used link, an editor opening the export, a forged CSRF token: refused, and nothing shown or
changed. Skipped, saying why, where no browser is installed (failing instead with
KOMEK_TEST_BROWSER_REQUIRED set, as in CI). With KOMEK_CONSOLE_SCREENSHOTS set to a folder,
the dashboard and the gaps page are saved there as PNG (docs/console.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from ruamel.yaml import YAML

from bot.config import ROOT
from bot.console.app import make_app
from bot.console.auth import mint_link
from db.models import Unanswered
from tests.console.conftest import COORDINATOR, EDITOR
from tests.console.test_console import END, PERIOD, START, sections, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
MISSING = "no headless browser: apt-get install chromium chromium-driver"
if os.environ.get("KOMEK_TEST_BROWSER_REQUIRED") and not (CHROMIUM and DRIVER):
    raise RuntimeError(f"the browser test must run here (.ci/run installs it): {MISSING}")
selenium = pytest.importorskip(
    "selenium", reason="selenium is not installed (pip install selenium)"
)
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason=MISSING)

WAIT = 20  # seconds: the longest any page, chart or download may take
SIGNED_OUT = "/console"  # the sign-in page tells how to get a link
EXPIRED = "This link was already used or has expired"
FORBIDDEN = "Your role does not include this page"
CSRF = "This form has expired or did not come from the console"


class Browser:
    """The module's Chromium, with the folder its downloads go to."""

    def __init__(self, downloads: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,2400"):
            options.add_argument(flag)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "download.directory_upgrade": True,
            },
        )
        self.downloads = downloads
        self.driver = webdriver.Chrome(service=Service(DRIVER), options=options)

    def fresh(self) -> None:
        """No session and no downloads from an earlier test."""
        self.driver.delete_all_cookies()
        for old in self.downloads.iterdir():
            old.unlink()

    def downloaded(self, name: str) -> Path:
        """The file once Chromium has finished writing it (it writes NAME.crdownload first)."""
        done = self.downloads / name
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if done.exists() and not any(self.downloads.glob("*.crdownload")):
                return done
            time.sleep(0.05)
        raise AssertionError(f"{name} not downloaded within {WAIT} s: {os.listdir(self.downloads)}")

    def sign_in(self, base: str, token: str) -> str:
        """Open a one-time link and press its button; the page it leads to."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.get(f"{base}/login/link/{token}")
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(self.driver, WAIT).until(lambda d: "/login/link/" not in d.current_url)
        return self.driver.page_source


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Browser(tmp_path_factory.mktemp("downloads"))
    yield chromium
    chromium.driver.quit()


async def in_browser(browser: Browser, console, steps: Callable[[Browser, str], object]):
    """Serve the console and run `steps(browser, base_url)` in a thread (the server answers
    on this event loop meanwhile)."""
    browser.fresh()
    async with TestServer(make_app(console)) as server:
        base = str(server.make_url("")).rstrip("/")
        return await asyncio.to_thread(steps, browser, base)


def by_css(driver, css: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def wait_for(driver, condition: Callable, what: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message=f"not seen within {WAIT} s: {what}")


async def test_sign_in_and_see_the_charts_drawn(browser, console):
    await seed(console)
    token = await mint_link(console.sessions, COORDINATOR)
    shots = os.environ.get("KOMEK_CONSOLE_SCREENSHOTS")

    def steps(b: Browser, base: str) -> tuple[int, str, str]:
        d = b.driver
        b.sign_in(base, token)
        wait_for(d, lambda d: d.current_url.endswith("/"), "the dashboard")
        d.get(f"{base}/?{PERIOD}&lang=ru")
        wait_for(d, lambda d: by_css(d, "canvas[data-drawn='1']"), "a chart drawn")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            d.save_screenshot(str(Path(shots) / "console-dashboard.png"))
        drawn = len(by_css(d, "canvas[data-drawn='1']"))
        d.get(f"{base}/gaps")
        if shots:
            d.save_screenshot(str(Path(shots) / "console-gaps.png"))
        gaps = d.page_source
        d.delete_all_cookies()
        d.get(f"{base}/")
        return drawn, gaps, d.page_source

    drawn, gaps, signed_out = await in_browser(browser, console, steps)
    assert drawn == 9
    assert "work_permit" in gaps
    assert SIGNED_OUT in signed_out and "canvas" not in signed_out
    assert dt.date.today() >= END


async def test_the_csv_downloaded_from_the_dashboard_has_the_seeded_numbers(browser, console):
    await seed(console)
    token = await mint_link(console.sessions, COORDINATOR)

    def steps(b: Browser, base: str) -> str:
        from selenium.webdriver.common.by import By

        b.sign_in(base, token)
        b.driver.get(f"{base}/?{PERIOD}&lang=en")
        b.driver.find_element(By.LINK_TEXT, "Export CSV").click()
        return b.downloaded(f"komek-{START}-{END}.csv").read_text(encoding="utf-8")

    got = sections(await in_browser(browser, console, steps))
    assert got["tickets_by_lang"] == [
        ["day", "kk", "ru"],
        [str(START), "0", "1"],
        [str(START + dt.timedelta(days=1)), "1", "0"],
        [str(END), "0", "1"],
    ]
    assert got["first_reply"][1:] == [
        ["median", "10.0"],
        ["p90", "30.0"],
        ["answered_tickets", "2"],
    ]
    assert got["now"][1:] == [["waiting", "1"], ["taken", "0"]]
    assert got["ratings"][1:] == [["1", "0"], ["2", "0"], ["3", "1"], ["4", "0"], ["5", "1"]]
    assert got["bot_share"][1] == ["bot_answered", "20", "69.0"]  # 14 + 6 of 29
    assert got["helpful"] == [
        ["entry", "language", "helped", "not_helped"],
        ["work_permit", "ru", "4", "1"],
        ["work_permit_cost", "kk", "0", "2"],
    ]


def _row(driver, entry: str, lang: str):  # type: ignore[no-untyped-def]
    """The gaps page's row of a group, or None."""
    for row in by_css(driver, "tbody tr"):
        cells = [c.text for c in by_css(row, "th, td")]
        if cells[:2] == [entry, lang]:
            return row
    return None


async def test_a_gap_group_marked_handled_stays_handled(browser, console):
    await seed(console)
    token = await mint_link(console.sessions, EDITOR)

    def steps(b: Browser, base: str) -> dict[str, object]:
        d = b.driver
        b.sign_in(base, token)
        d.get(f"{base}/gaps?lang=en")
        seen = {"before": _row(d, "work_permit", "ru") is not None}
        _row(d, "work_permit", "ru").find_element("css selector", "button").click()
        wait_for(d, lambda d: "Show handled groups (1)" in d.page_source, "the group hidden")
        seen["after"] = _row(d, "work_permit", "ru")
        d.refresh()
        seen["reloaded"] = _row(d, "work_permit", "ru")
        seen["listed"] = d.page_source
        d.find_element("link text", "Show handled groups (1)").click()
        wait_for(d, lambda d: "Hide handled groups" in d.page_source, "the handled groups")
        row = _row(d, "work_permit", "ru")
        seen["handled"] = row.get_attribute("class"), row.text, by_css(row, "button")
        return seen

    seen = await in_browser(browser, console, steps)
    assert seen["before"] and seen["after"] is None and seen["reloaded"] is None
    assert "No unanswered questions to look at." in seen["listed"]
    css, text, buttons = seen["handled"]
    assert css == "handled" and "handled" in text and buttons == []


async def test_the_downloaded_yaml_snippet_passes_komek_content_check(browser, console, tmp_path):
    async with console.sessions.begin() as session:
        for text in (
            "можно ли работать без бумаги у частника [n] месяцев",
            "можно ли работать без бумаги у частника [n] месяцев",
            "где делать разрешение если я из самарканда",
        ):
            session.add(Unanswered(text=text, lang="ru", outcome="none", nearest="work_permit"))
    token = await mint_link(console.sessions, EDITOR)

    def steps(b: Browser, base: str) -> str:
        b.sign_in(base, token)
        b.driver.get(f"{base}/gaps?lang=en")
        link = _row(b.driver, "work_permit", "ru").find_element("partial link text", "YAML")
        assert link.text == "YAML examples for content/faq/ru.yaml"
        link.click()
        return b.downloaded("work_permit-ru.yaml").read_text(encoding="utf-8")

    snippet = YAML(typ="safe").load(await in_browser(browser, console, steps))
    examples = snippet["entries"]["work_permit"]["examples"]
    assert sorted(examples) == [
        "где делать разрешение если я из самарканда",
        "можно ли работать без бумаги у частника [n] месяцев",
    ]
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    yaml = YAML()
    faq = copy / "faq" / "ru.yaml"
    doc = yaml.load(faq.read_text(encoding="utf-8"))
    doc["entries"]["work_permit"]["examples"].extend(examples)
    with faq.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    checked = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "content", "check"],
        cwd=ROOT,
        env={**os.environ, "KOMEK_CONTENT_DIR": str(copy)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0 and "0 error(s)" in checked.stdout, checked.stdout
    assert "где делать разрешение" in faq.read_text(encoding="utf-8")


async def test_an_expired_or_used_link_gives_the_sign_in_page_and_no_data(browser, console):
    await seed(console)
    expired = await mint_link(console.sessions, COORDINATOR, now=time.time() - 3600)
    used = await mint_link(console.sessions, COORDINATOR)

    def steps(b: Browser, base: str) -> list[str]:
        d, pages = b.driver, []
        pages.append(b.sign_in(base, expired))
        d.get(f"{base}/?{PERIOD}")
        pages.append(d.page_source)
        assert "canvas" in b.sign_in(base, used)  # the first time: the dashboard
        d.delete_all_cookies()
        pages.append(b.sign_in(base, used))
        d.get(f"{base}/?{PERIOD}")
        pages.append(d.page_source)
        return pages

    after_expired, then, after_used, later = await in_browser(browser, console, steps)
    for page in (after_expired, after_used):
        assert EXPIRED in page and SIGNED_OUT in page
    for page in (after_expired, then, after_used, later):
        assert "canvas" not in page and "tickets_by_lang" not in page and "Export CSV" not in page


async def test_an_editor_is_refused_the_coordinators_export(browser, console):
    await seed(console)
    token = await mint_link(console.sessions, EDITOR)

    def steps(b: Browser, base: str) -> tuple[str, str, list[str]]:
        landed = b.sign_in(base, token)
        b.driver.get(f"{base}/export.csv?{PERIOD}&lang=en")
        refused = b.driver.find_element("css selector", "[role=alert]").text
        return landed, refused, os.listdir(b.downloads)

    landed, refused, downloads = await in_browser(browser, console, steps)
    assert "Unanswered questions" in landed  # an editor's home
    assert FORBIDDEN in refused and downloads == []


async def test_a_forged_csrf_token_is_refused_and_changes_nothing(browser, console):
    await seed(console)
    token = await mint_link(console.sessions, EDITOR)

    def steps(b: Browser, base: str) -> tuple[str, object]:
        d = b.driver
        b.sign_in(base, token)
        d.get(f"{base}/gaps?lang=en")
        form = _row(d, "work_permit", "ru").find_element("css selector", "form")
        d.execute_script("arguments[0].elements.csrf.value = 'forged'", form)
        form.find_element("css selector", "button").click()
        wait_for(d, lambda d: by_css(d, "[role=alert]"), "the refusal")
        refused = d.find_element("css selector", "[role=alert]").text
        d.get(f"{base}/gaps?lang=en")
        row = _row(d, "work_permit", "ru")
        return refused, row is not None and len(by_css(row, "button")) == 1

    refused, still_open = await in_browser(browser, console, steps)
    assert CSRF in refused
    assert still_open  # the group is still there, with its "Mark handled" button
