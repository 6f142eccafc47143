"""aiogram's models are built when first used (bot/aiogram_lazy.py), and every one can be."""

from __future__ import annotations

import subprocess
import sys

from bot.config import ROOT

CHILD = """
import pydantic
import bot
import aiogram.methods
import aiogram.types

def models():
    for module in (aiogram.types, aiogram.methods):
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
                yield name, value

built = [name for name, model in models() if model.__pydantic_complete__]
print("built at import:", sorted(set(built) - {"Request", "Response", "TelegramMethod"}))
update = aiogram.types.Update.model_validate(
    {"update_id": 1, "message": {"message_id": 2, "date": 0, "text": "hi",
     "chat": {"id": 3, "type": "private"}, "from": {"id": 3, "is_bot": False, "first_name": "a"}}}
)
assert update.message.from_user.id == 3 and update.message.text == "hi"
broken = [name for name, model in models() if model.model_rebuild() is False]
print("cannot be built:", broken)
"""


def test_aiogram_models_are_deferred_and_all_build():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "built at import: []" in result.stdout
    assert "cannot be built: []" in result.stdout
