"""The README stays true: its quick start and its settings table."""

import re

from bot.config import ROOT, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    documented = set(re.findall(r"`(KOMEK_[A-Z_]+)`", README))
    fields = {f"KOMEK_{name.upper()}" for name in Settings.model_fields}
    assert fields == documented & fields, f"undocumented: {sorted(fields - documented)}"


def test_quick_start_is_two_commands_that_exist():
    start = README.index("## Quick start")
    commands = re.findall(r"```sh\n(.+?)\n```", README[start : README.index("## Running")])
    assert commands == ["./dev demo", "./dev test"]
    script = (ROOT / "dev").read_text(encoding="utf-8")
    assert "demo)" in script and "test)" in script
    assert (ROOT / "dev").stat().st_mode & 0o111


def test_ci_runs_exactly_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == "./dev test"
