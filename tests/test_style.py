"""The code stays ruff-clean (the configuration is in pyproject.toml)."""

import shutil
import subprocess

import pytest

from bot.config import ROOT


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    if not shutil.which(ruff):
        pytest.fail("ruff is not installed: it is part of the test extra")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
