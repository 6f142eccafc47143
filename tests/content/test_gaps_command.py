"""`komek content gaps`: what people asked that got no confident answer, grouped, masked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from bot.config import ROOT, load_settings
from bot.core.messages import Unanswered
from bot.keys import open_database
from bot.services.gaps import Gaps
from db.database import make_sessions


async def _store(url: str, key_file, asked: list[str]) -> list[str]:
    engine = await open_database(load_settings(database_url=url, key_file=key_file))
    gaps = Gaps(make_sessions(engine))
    for text in asked:
        await gaps.record(Unanswered(text, "ru", "none", ("overstay",)))
    stored = await gaps.texts()
    await engine.dispose()
    return stored


def test_gaps_are_masked_grouped_and_listed_with_the_nearest_ids(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'gaps.sqlite3'}"
    asked = [
        "как перевести деньги домой через банк",
        "как перевести деньги домой через банк",
        "перевести деньги родным дешево",
        "мой номер паспорта AB1234567, проверьте запрет на въезд",
    ]
    stored = asyncio.run(_store(url, tmp_path / "komek.key", asked))
    assert not any("AB1234567" in t for t in stored)

    env = {**os.environ, "KOMEK_DATABASE_URL": url, "KOMEK_KEY_FILE": str(tmp_path / "komek.key")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "gaps"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "4 unanswered question(s)" in out
    assert "3 × nearest:" in out  # the three questions about sending money home: one group
    assert "AB1234567" not in out and "[doc]" in out
