"""KOMEK_LOG_FORMAT=json: one JSON object a line, with the update, the person's pseudonym,
the outcome and the duration, and never what people wrote or their Telegram id."""

from __future__ import annotations

import io
import json
import logging

from bot.ops import logs
from tests.e2e.test_conversation import start

SECRET = "Паспорт AB1234567 ИИН 900101300123 забрал хозяин"


async def test_json_logs_follow_an_update_and_never_show_text(bot, person, client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)  # setLevel, not .level =: loggers cache their decision
    try:
        await start(person, "ru")
        await person.says(SECRET)
        await person.says("/menu")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    lines = [line for line in lines if not line["logger"].startswith("bot.sandbox")]  # Telegram
    handled = [line for line in lines if line["message"].startswith("update ")]
    assert len(handled) >= 5  # /start, language, consent, the message, /menu
    for line in handled:
        assert {"time", "level", "logger", "update_id", "person", "outcome", "duration_ms"} <= set(
            line
        )
        assert line["person"].startswith("p") and str(person.id) not in line["person"]
    assert len({line["person"] for line in handled}) == 1  # one person, one pseudonym
    assert {"language", "consent"} <= {line["outcome"] for line in handled}
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in ("AB1234567", "900101300123", "хозяин", str(person.id)):
        assert secret not in text
