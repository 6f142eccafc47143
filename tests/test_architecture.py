"""The layers of the README's "How it is built": import-linter's contracts in pyproject.toml
(imports inside functions count), and what import-linter cannot see."""

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "nlu", "db")
FORBIDDEN = ("aiogram", "sqlalchemy")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        "from importlinter.cli import lint_imports\n"
        "sys.exit(lint_imports(no_cache=True, no_logo=True))\n"
    )
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_import_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_wrong_import_breaks_a_contract(tmp_path):
    """The engine importing a service, inside a function, in a copy of the code."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_not_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    hours = tmp_path / "bot" / "core" / "hours.py"
    hours.write_text(
        hours.read_text() + "\n\ndef _wrong():\n    from bot.services import helpdesk  # noqa\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "layers BROKEN" in result.stdout
    assert "bot.core.hours -> bot.services.helpdesk" in result.stdout


def _not_python(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if not n.endswith(".py") and not Path(folder, n).is_dir()]


def test_core_content_and_nlu_load_neither_aiogram_nor_sqlalchemy():
    """At run time, so that a library that pulls either in is caught too (import-linter sees
    only our own imports)."""
    modules = []
    for package in ("bot.core", "bot.content", "nlu"):
        path = ROOT.joinpath(*package.split("."))
        modules += [package] + [
            info.name for info in pkgutil.walk_packages([str(path)], prefix=package + ".")
        ]
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
