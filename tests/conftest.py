"""Shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from bot.config import ROOT
from bot.knowledge import load_knowledge

# Property tests (tests/fuzz): a few examples locally, 2,000 per target in CI (.ci/run
# exports KOMEK_TEST_HYPOTHESIS_PROFILE=ci). No deadline: the machine is shared.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("KOMEK_TEST_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def knowledge():
    """The seed content and its classifier, built once for the whole run."""
    return load_knowledge(ROOT / "content")
