"""Fixtures for fault tests: a flushed Redis db, the callback receiver, a process stack."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.redis_claim import TEST_RUN_KEY, hold
from tests.support import CallbackReceiver


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """The run's Redis db, emptied: no task left over from an earlier test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    # Keep the db claimed (tests/conftest.py's marker), or a parallel run would take it too.
    hold(client, TEST_RUN_KEY, ttl=3600)
    client.close()
    return redis_url


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` fault runs are only collected with VIGIE_FAULTS_SLOW=1.

    Deselected, not skipped: they are not part of the default run at all (the summary counts
    them as deselected), so nothing reads them as a pass or as a missing service.
    """
    if os.environ.get("VIGIE_FAULTS_SLOW") == "1":
        return
    slow = [item for item in items if "slow" in item.keywords]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]
