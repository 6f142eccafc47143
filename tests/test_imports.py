"""What a bot process loads: only what its configuration uses (the memory of a small server)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from bot.config import ROOT

# Only building the classifier needs SciPy and scikit-learn (a cached one scores with NumPy);
# only the console needs Jinja2 and its web application (`/console` links need only
# `bot.console` itself); only KOMEK_REDIS_URL needs the Redis client.
OPTIONAL = ("scipy", "sklearn", "jinja2", "bot.console.", "redis")


def test_the_bot_without_console_loads_no_console_scipy_or_scikit_learn() -> None:
    code = (
        "import sys\n"
        "import bot.app\n"
        f"print(sorted({{m for m in sys.modules if m.startswith({OPTIONAL!r})}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_garbage_is_collected_again_once_started_even_after_a_failed_start() -> None:
    """Start-up runs without the collector (`bot.__main__._starting`); a bot left without
    it would keep every reference cycle it makes for as long as it runs."""
    from bot.__main__ import _starting

    try:
        with pytest.raises(RuntimeError), _starting():
            assert not gc.isenabled()
            raise RuntimeError("the database is unreachable")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
