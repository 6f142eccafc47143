"""The seams of ../shared/DESIGN.md that keep the engine drivable without Telegram or a DB."""

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("aiogram", "sqlalchemy")


def _modules(package: str) -> list[str]:
    path = ROOT.joinpath(*package.split("."))
    names = [package]
    for info in pkgutil.walk_packages([str(path)], prefix=package + "."):
        names.append(info.name)
    return names


def test_core_and_nlu_import_neither_aiogram_nor_sqlalchemy():
    modules = _modules("bot.core") + _modules("nlu") + _modules("bot.content")
    modules = [m for m in modules if not m.endswith("__main__")]
    assert len(modules) > 8
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"imported: {result.stdout.strip()}"


def test_the_check_itself_notices_a_forbidden_import():
    code = "import sys, bot.telegram.render\nprint('aiogram' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
