"""`komek content check`: passes on the seed content, and points at the file and line of each
kind of mistake an editor can make (every test breaks a temporary copy)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.content.check import check
from bot.content.problems import ERROR, WARNING

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return tmp_path


def problems(tree: Path, severity: str = ERROR, today: dt.date = TODAY):
    return [p for p in check(tree / "content", tree / "locales", today) if p.severity == severity]


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace text in a file; return the 1-based line of the first replacement."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def add_example(path: Path, entry: str, example: str) -> None:
    """Insert an example at the top of an entry's `examples:` list."""
    text = path.read_text(encoding="utf-8")
    at = text.index("examples:\n", text.index(f"  {entry}:")) + len("examples:\n")
    path.write_text(text[:at] + f'      - "{example}"\n' + text[at:], encoding="utf-8")


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def test_seed_content_passes(tree):
    assert problems(tree) == []


def test_seed_content_warns_about_placeholders_and_unverified_numbers(tree):
    warnings = [str(p) for p in problems(tree, WARNING)]
    assert any("kg_consulate_almaty" in w and "placeholder" in w for w in warnings)
    assert any("uz_consulate_almaty" in w and "not verified" in w for w in warnings)


def test_yaml_syntax_error_names_file_and_line(tree):
    ru = tree / "content/faq/ru.yaml"
    line = edit(ru, "entries:\n", "entries:\n  broken: [unclosed\n")
    [problem] = [p for p in problems(tree) if p.file == "content/faq/ru.yaml"]
    assert "YAML syntax error" in problem.message
    assert line <= problem.line <= line + 3


def test_schema_error_unknown_field(tree):
    entries = tree / "content/entries.yaml"
    line = edit(entries, "    topic: work\n", "    topic: work\n    urgnet: true\n")
    [problem] = problems(tree)
    assert problem.file == "content/entries.yaml"
    assert problem.line == line + 1
    assert "unknown field 'urgnet'" in problem.message


def test_schema_error_bad_date(tree):
    entries = tree / "content/entries.yaml"
    line = edit(entries, "review_by: 2027-03-01", "review_by: next spring")
    [problem] = problems(tree)
    assert (problem.file, problem.line) == ("content/entries.yaml", line)
    assert "YYYY-MM-DD" in problem.message


def test_missing_translation_of_an_entry(tree):
    ky = tree / "content/faq/ky.yaml"
    text = ky.read_text(encoding="utf-8")
    start = text.index("  iin:\n")
    end = text.index("\n  ", start + 8)
    while text[end + 3] == " ":  # skip to the next entry at two spaces of indentation
        end = text.index("\n  ", end + 1)
    ky.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    found = [p for p in problems(tree) if "'iin' has no ky text" in p.message]
    assert found and found[0].file == "content/faq/ky.yaml"


def test_missing_interface_string(tree):
    po = tree / "locales/ky/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    marker = 'msgid "Thank you!"\nmsgstr "'
    start = text.index(marker) + len(marker)
    po.write_text(text[:start] + text[text.index('"', start) :], encoding="utf-8")
    [problem] = problems(tree)
    assert problem.file == "locales/ky/LC_MESSAGES/messages.po"
    assert problem.line == line_of(po, 'msgid "Thank you!"')
    assert "not translated" in problem.message


def test_interface_placeholder_differs_from_source(tree):
    po = tree / "locales/ru/LC_MESSAGES/messages.po"
    edit(po, '"Продолжить на языке: {language}?"', '"Продолжить на языке: {язык}?"')
    [problem] = problems(tree)
    assert problem.line == line_of(po, 'msgid "Shall I keep speaking {language}?"')
    assert "placeholders differ" in problem.message and "{language}" in problem.message


def test_placeholder_phone_is_reported(tree):
    contacts = tree / "content/contacts.yaml"
    line = edit(contacts, 'phone: "102"', "phone: PLACEHOLDER")
    found = [p for p in problems(tree, WARNING) if "police_102" in p.message]
    assert found[0].line == line
    assert "placeholder" in found[0].message


def test_review_date_in_the_past_is_reported(tree):
    late = problems(tree, WARNING, today=dt.date(2027, 2, 1))
    kindergarten = [p for p in late if "'kindergarten' was due for review" in p.message]
    assert kindergarten[0].file == "content/entries.yaml"
    assert kindergarten[0].line == line_of(
        tree / "content/entries.yaml", "review_by", after="- id: kindergarten"
    )


def test_same_example_under_two_ids(tree):
    ru = tree / "content/faq/ru.yaml"
    add_example(ru, "overstay", "Сколько стоит патент в месяц?")
    add_example(ru, "work_permit_cost", "сколько стоит патент в месяц")
    found = [p for p in problems(tree) if "also under" in p.message]
    assert found and found[0].file == "content/faq/ru.yaml"


def test_example_that_the_bot_is_taught_not_to_answer_is_a_warning(tree):
    ru = tree / "content/faq/ru.yaml"
    add_example(ru, "job_search", "Как приготовить плов?")
    [found] = [p for p in problems(tree, WARNING) if "nlu/offtopic.yaml" in p.message]
    assert found.file == "content/faq/ru.yaml" and "Как приготовить плов?" in found.message
    assert problems(tree) == []


def test_urgent_phrase_that_fires_on_small_talk_is_a_warning_at_its_line(tree):
    ru = tree / "content/faq/ru.yaml"
    line = edit(ru, "urgent_phrases:\n", 'urgent_phrases:\n  - "погода"\n') + 1
    [found] = [p for p in problems(tree, WARNING) if "urgent phrase" in p.message]
    assert (found.file, found.line) == ("content/faq/ru.yaml", line)
    assert "'погода'" in found.message and "more specific" in found.message


def test_reference_to_unknown_entry_and_contact(tree):
    entries = tree / "content/entries.yaml"
    line = edit(
        entries,
        "related: [work_permit_cost, eaeu_work, employment_contract]",
        "related: [work_permit_price, eaeu_work, employment_contract]",
    )
    line2 = edit(
        entries, "contacts: [enbek_portal, egov_1414]", "contacts: [enbek_portal, egov_1144]"
    )
    messages = {(p.line, p.message) for p in problems(tree)}
    assert (line, "'related' names unknown entry 'work_permit_price'") in messages
    assert any(ln == line2 and "unknown contact 'egov_1144'" in m for ln, m in messages)


def test_answer_over_telegram_limit(tree):
    tg = tree / "content/faq/tg.yaml"
    text = tg.read_text(encoding="utf-8")
    anchor = text.index("  iin:")
    answer = text.index("answer: |\n", anchor) + len("answer: |\n")
    tg.write_text(text[:answer] + "      " + "матн " * 900 + "\n" + text[answer:], encoding="utf-8")
    [problem] = problems(tree)
    assert problem.file == "content/faq/tg.yaml"
    assert problem.line == line_of(tg, "answer: |", after="  iin:")
    assert "4096" in problem.message


def test_broken_telegram_html(tree):
    kk = tree / "content/faq/kk.yaml"
    text = kk.read_text(encoding="utf-8")
    anchor = text.index("  minimum_wage:")
    answer = text.index("answer: |\n", anchor) + len("answer: |\n")
    kk.write_text(
        text[:answer] + "      <b>жалақы <i>туралы</b>\n" + text[answer:], encoding="utf-8"
    )
    [problem] = problems(tree)
    assert problem.line == line_of(kk, "answer: |", after="  minimum_wage:")
    assert "broken Telegram HTML" in problem.message


def test_command_exits_non_zero_with_file_and_line(tree):
    edit(tree / "content/topics.yaml", "  - id: work\n", "  - id: work\n   icon: [\n")
    env = {
        "KOMEK_CONTENT_DIR": str(tree / "content"),
        "KOMEK_LOCALES_DIR": str(tree / "locales"),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "content/topics.yaml:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "content check FAILED" in result.stdout


def test_command_passes_on_the_seed_content():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "content check passed: 0 error(s)" in result.stdout


def test_translated_command_is_reported(tree):
    po = tree / "locales/ky/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgid "Everything we kept about you is deleted. /start begins again."')
    line = text[:start].count("\n") + 1
    msgstr = text.index("/start", text.index("msgstr", start))
    po.write_text(text[:msgstr] + "/баштоо" + text[msgstr + len("/start") :], encoding="utf-8")
    [problem] = problems(tree)
    assert problem.line == line and "keep /start exactly" in problem.message
