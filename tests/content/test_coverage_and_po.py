"""The coverage report and the translators' PO round trip."""

from __future__ import annotations

import shutil
import subprocess
import sys

import polib
import pytest

from bot.config import ROOT
from bot.content.check import check_content
from bot.content.coverage import as_markdown, as_text
from bot.content.loader import read_content
from bot.content.translation import export, import_po


@pytest.fixture
def content(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path / "content"


def test_coverage_marks_missing_unreviewed_and_transliterated(content):
    uz = content / "faq/uz.yaml"
    text = uz.read_text(encoding="utf-8")
    uz.write_text(text.replace("  iin:\n", "  iin_removed_for_test:\n", 1), encoding="utf-8")
    ky = content / "faq/ky.yaml"
    ky.write_text(
        ky.read_text(encoding="utf-8").replace("needs_review: true", "needs_review: false", 1),
        encoding="utf-8",
    )
    loaded, _ = read_content(content)
    report = as_text(loaded)
    row = next(line for line in report.splitlines() if line.startswith("iin "))
    cells = row.split()
    assert cells == ["iin", "review", "review", "MISSING", "MISSING", "ok", "review"]
    minimum = next(line for line in report.splitlines() if line.startswith("minimum_wage"))
    assert minimum.split()[4] == "translit"
    markdown = as_markdown(loaded)
    assert "| iin | review | review | MISSING | MISSING | ok | review |" in markdown


def test_coverage_command_prints_markdown():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "coverage", "--markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("# Content coverage")
    assert "| work_permit |" in result.stdout


def test_po_round_trip_keeps_ids_and_marks_changed_sources_fuzzy(content, tmp_path):
    po_dir = tmp_path / "po"
    export(content, po_dir)
    kk = polib.pofile(str(po_dir / "kk.po"))
    entry = next(e for e in kk if e.msgctxt == "entry.iin.title")
    assert entry.msgstr  # the Kazakh title
    assert kk.percent_translated() == 100

    # Russian source changes: the Kazakh translation is kept but marked fuzzy.
    ru = content / "faq/ru.yaml"
    loaded, _ = read_content(content)
    old_title = loaded.entries["iin"].texts["ru"].title
    ru.write_text(
        ru.read_text(encoding="utf-8").replace(old_title, "ИИН: как получить номер"),
        encoding="utf-8",
    )
    export(content, po_dir)
    kk = polib.pofile(str(po_dir / "kk.po"))
    entry = next(e for e in kk if e.msgctxt == "entry.iin.title")
    assert "fuzzy" in entry.flags and entry.previous_msgid == old_title

    # A translator edits one text in Poedit and clears fuzzy on another: import writes them.
    answer = next(e for e in kk if e.msgctxt == "entry.minimum_wage.title")
    answer.msgstr = "Ең төменгі жалақы (жаңа)"
    kk.save()
    import_po(content, po_dir)
    reloaded, problems = check_content(content)
    assert not [p for p in problems if p.severity == "error"]
    assert reloaded.entries["minimum_wage"].texts["kk"].title == "Ең төменгі жалақы (жаңа)"
    # the fuzzy one was not imported
    assert reloaded.entries["iin"].texts["kk"].title == loaded.entries["iin"].texts["kk"].title
