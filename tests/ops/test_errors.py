"""What would go to Sentry carries no message text, no token and no personal data."""

from __future__ import annotations

import json

import pytest

from bot.ops.errors import scrub

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
TEXT = "Мой паспорт AB1234567 забрали, ИИН 900101300123"


def event() -> dict:
    return {
        "message": f"update 42 failed for {TEXT!r}",
        "logentry": {"message": "update %s failed: %r", "params": [42, TEXT]},
        "user": {"id": 730112345, "username": "aigerim_k"},
        "request": {"url": f"https://api.telegram.org/bot{TOKEN}/sendMessage", "data": TEXT},
        "extra": {"raw": {"message": {"text": TEXT}}},
        "contexts": {"update": {"text": TEXT, "from": {"id": 730112345, "first_name": "Айгерим"}}},
        "exception": {
            "values": [
                {
                    "type": "ValidationError",
                    "value": f"1 validation error: input_value='{TEXT}', phone +7 701 234 56 78",
                    "stacktrace": {"frames": [{"function": "handle", "vars": {"text": TEXT}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "httplib", "data": {"url": f"https://api.telegram.org/bot{TOKEN}/x"}},
                {"category": "log", "message": "to 730112345 by aigerim@example.org"},
            ]
        },
    }


def test_the_scrubbed_event_has_no_text_token_or_personal_data():
    cleaned = json.dumps(scrub(event()), ensure_ascii=False)
    for private in ("AB1234567", "900101300123", "паспорт", "Айгерим", "aigerim", TOKEN,
                    "730112345", "701 234"):  # fmt: skip
        assert private not in cleaned, private


def test_what_helps_to_fix_the_bug_stays():
    cleaned = scrub(event())
    [exception] = cleaned["exception"]["values"]
    assert exception["type"] == "ValidationError"
    assert exception["value"].startswith("1 validation error: input_value=")
    assert exception["stacktrace"]["frames"] == [{"function": "handle"}]
    assert cleaned["logentry"]["message"] == "update %s failed: %r"
    assert cleaned["breadcrumbs"]["values"][0]["data"]["url"].endswith("/bot[token]/x")


def test_sentry_is_set_up_with_the_scrubber(monkeypatch):
    sentry_sdk = pytest.importorskip("sentry_sdk")
    seen: dict = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: seen.update(options))
    from bot.ops.errors import start_sentry

    start_sentry("https://key@sentry.example.org/1")
    assert seen["before_send"] is scrub and seen["before_breadcrumb"] is scrub
    assert seen["send_default_pii"] is False and seen["include_local_variables"] is False
