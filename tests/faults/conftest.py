"""Fixtures for fault tests: a flushed Redis db, the callback receiver, a process stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import CallbackReceiver


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """The run's Redis db, emptied: no task left over from an earlier test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    return redis_url


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()
