"""Start-up settings: a bad one stops with one line naming it, never a traceback."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings, require_live

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_on_one_machine(monkeypatch):
    monkeypatch.delenv("KOMEK_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert "/var/" in settings.database_url
    assert settings.mode == "polling"
    assert settings.api_base == "https://api.telegram.org"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("KOMEK_OPERATOR_CHAT_ID", "-1001234")
    monkeypatch.setenv("KOMEK_API_BASE", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.operator_chat_id == -1001234
    assert settings.api_base == "http://127.0.0.1:8081"


def test_malformed_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("KOMEK_OPERATOR_CHAT_ID", "operators")
    with pytest.raises(SettingsError, match="KOMEK_OPERATOR_CHAT_ID"):
        load_settings()


def test_an_unknown_holiday_country_names_the_variable(monkeypatch):
    monkeypatch.setenv("KOMEK_HOLIDAYS_COUNTRY", "Kazakhstan")
    with pytest.raises(SettingsError, match=r"KOMEK_HOLIDAYS_COUNTRY.*KAZAKHSTAN"):
        load_settings()


def test_live_run_needs_a_token(monkeypatch):
    monkeypatch.delenv("KOMEK_BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="KOMEK_BOT_TOKEN"):
        require_live(load_settings())


def test_command_line_prints_one_line_not_a_traceback(tmp_path):
    env = {"KOMEK_WEBHOOK_PORT": "eighty", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "KOMEK_WEBHOOK_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_token_says_so(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "KOMEK_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_public_holidays_are_asked_of_another_process_once(monkeypatch, tmp_path):
    import bot.config

    monkeypatch.setattr(bot.config, "ROOT", tmp_path)
    first = bot.config.public_holidays.__wrapped__("KZ")
    assert dt.date(2026, 12, 16) in first  # Independence Day

    def no_process(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("asked again")

    monkeypatch.setattr(bot.config.subprocess, "run", no_process)
    assert bot.config.public_holidays.__wrapped__("KZ") == first  # from the kept file
