"""Shared fixtures."""

from __future__ import annotations

import pytest

from bot.config import ROOT
from bot.knowledge import load_knowledge


@pytest.fixture(scope="session")
def knowledge():
    """The seed content and its classifier, built once for the whole run."""
    return load_knowledge(ROOT / "content")
