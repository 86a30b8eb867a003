"""Fixtures for fault tests: a flushed Redis db, the callback receiver, a process stack."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import CallbackReceiver


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """The run's Redis db, emptied: no task left over from an earlier test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    # Keep the db claimed (tests/conftest.py's marker), or a parallel run would take it too.
    client.set("vigie-test-run", "1", ex=3600)
    client.close()
    return redis_url


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` fault runs only with VIGIE_FAULTS_SLOW=1 (a skip, never counted as passing)."""
    if os.environ.get("VIGIE_FAULTS_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow fault run: set VIGIE_FAULTS_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
