"""The code stays ruff-clean (the configuration is in pyproject.toml)."""

import importlib.util
import subprocess
import sys

import pytest

from bot.config import ROOT


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_finds_nothing(command):
    # ruff of the interpreter running the tests, whichever virtual environment that is
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed: it is part of the test extra")
    run = [sys.executable, "-m", "ruff", *command]
    result = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
