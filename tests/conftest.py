"""Shared fixtures."""

from __future__ import annotations

import asyncio
import functools
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import HealthCheck, settings

from bot.config import ROOT
from bot.content.problems import ContentInvalid
from bot.core.engine import Knowledge
from bot.knowledge import DEFAULT_CACHE_DIR, load_knowledge
from nlu import langid

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


async def _create_database(url: str, name: str) -> None:
    import asyncpg

    server = urlsplit(url.replace("postgresql+asyncpg", "postgresql"))
    connection = await asyncpg.connect(urlunsplit(server))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _own_servers(worker: str) -> None:
    """Under pytest-xdist (`./dev test` runs the suite in processes `gw0`, `gw1`...), each
    process gets a PostgreSQL database and a Redis database of its own, made from the ones
    given, so that one process dropping its schema or counting its Redis keys never meets
    another's.
    Runs when this file is imported, before any test module reads the variables."""
    if os.environ.get("KOMEK_TEST_OWN_SERVERS"):
        return  # a pytest that a test started: its servers are set already
    number = int(worker.removeprefix("gw"))
    postgres = os.environ.get("KOMEK_TEST_POSTGRES_URL")
    if postgres:
        parts = urlsplit(postgres)
        name = f"{parts.path.lstrip('/')}_{worker}"
        asyncio.run(_create_database(postgres, name))
        os.environ["KOMEK_TEST_POSTGRES_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    redis = os.environ.get("KOMEK_TEST_REDIS_URL")
    if redis:
        parts = urlsplit(redis)
        base = int(parts.path.lstrip("/") or 0)
        own = parts._replace(path=f"/{base + 1 + number}")
        os.environ["KOMEK_TEST_REDIS_URL"] = urlunsplit(own)
    os.environ["KOMEK_TEST_OWN_SERVERS"] = worker


if os.environ.get("PYTEST_XDIST_WORKER"):
    _own_servers(os.environ["PYTEST_XDIST_WORKER"])


@functools.cache
def _seed_knowledge() -> Knowledge:
    return load_knowledge(ROOT / "content")


def pytest_configure(config):
    """The content's classifier and the language models are built once, by the first process,
    into the NLU cache (var/nlu-cache/, keyed by what they are built from); the test processes
    and the bots and commands the tests start load them from there in a fraction of a second."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        langid.load_models(DEFAULT_CACHE_DIR)
        return
    try:
        _seed_knowledge()  # with `-n 0` this process runs the tests too: kept for them
    except ContentInvalid:
        pass  # the tests that need the content report it


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The seed content and its classifier, built once for the whole run."""
    return _seed_knowledge()
