"""Editors change content under a running bot: good changes are served within seconds, a
broken change is refused (the last good content keeps serving) and the operators are told."""

from __future__ import annotations

import shutil

from bot.config import ROOT
from bot.knowledge import KnowledgeStore, load_knowledge
from tests.e2e.harness import Running, eventually
from tests.e2e.test_conversation import start


async def test_changed_content_is_served_and_broken_content_refused(
    settings, client, person, tmp_path
):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    settings = settings.model_copy(update={"content_dir": content})
    running = Running(settings, KnowledgeStore(content, load_knowledge(content)))
    await running.start()
    try:
        menu = await start(person, "ru")
        stay = await person.press(menu, "t:stay")

        async def answer_to_iin() -> str:
            before = (await person.last())["message_id"]
            await client.user_presses(person.id, stay["message_id"], "q:ru-iin")
            [reply] = await client.wait_for_messages(person.id, 1, after_id=before)
            return reply["text"]

        assert "ОБНОВЛЕНО" not in await answer_to_iin()
        ru = content / "faq" / "ru.yaml"
        text = ru.read_text(encoding="utf-8")
        anchor = text.index("  iin:")
        answer_at = text.index("answer: |\n", anchor) + len("answer: |\n")
        ru.write_text(
            text[:answer_at] + "      ОБНОВЛЕНО сегодня.\n" + text[answer_at:], encoding="utf-8"
        )

        async def updated() -> bool:
            return "ОБНОВЛЕНО сегодня." in await answer_to_iin()

        await eventually(updated, timeout=15)

        broken = ru.read_text(encoding="utf-8").replace("ОБНОВЛЕНО сегодня.", "СЛОМАНО <b>")
        ru.write_text(broken, encoding="utf-8")
        [notice] = await client.wait_for_messages(client.operator_chat_id, 1, timeout=15)
        assert "content/faq/ru.yaml:" in notice["text"]
        assert "HTML" in notice["text"]
        still = await answer_to_iin()
        assert "ОБНОВЛЕНО сегодня." in still and "СЛОМАНО" not in still
    finally:
        await running.stop()
