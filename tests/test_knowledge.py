"""Reloading content: an edited answer is served without rebuilding the classifier; an edited
example question rebuilds it."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import ROOT
from bot.knowledge import load_knowledge


def test_reload_rebuilds_the_classifier_only_when_its_inputs_change(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    first = load_knowledge(content)
    ru = content / "faq" / "ru.yaml"
    text = ru.read_text(encoding="utf-8")
    at = text.index("answer: |\n", text.index("  iin:")) + len("answer: |\n")
    ru.write_text(text[:at] + "      ОБНОВЛЕНО сегодня.\n" + text[at:], encoding="utf-8")

    answer_edited = load_knowledge(content, previous=first)
    assert "ОБНОВЛЕНО сегодня." in answer_edited.content.entries["iin"].texts["ru"].answer
    assert answer_edited.classifier is first.classifier

    text = ru.read_text(encoding="utf-8")
    at = text.index("examples:\n", text.index("  iin:")) + len("examples:\n")
    ru.write_text(text[:at] + '      - "фиолетовый слон танцует"\n' + text[at:], encoding="utf-8")
    example_added = load_knowledge(content, previous=answer_edited)
    assert example_added.classifier is not first.classifier
    assert example_added.classifier.classify("фиолетовый слон танцует").intent == "iin"
