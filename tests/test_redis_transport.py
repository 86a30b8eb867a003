"""The Redis transport survives Celery 5.7's close-after-collect of a lost connection."""

from __future__ import annotations

import uuid

import pytest
from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors

from tests.conftest import make_settings
from workers.app import create_celery

pytestmark = pytest.mark.redis


def _close_after_collect(url: str, transport: str | None) -> None:
    """A task in flight (delivered, not acknowledged), then the consumer's cleanup on error."""
    name = f"vigie-test-{uuid.uuid4().hex}"
    conn = Connection(url, transport=transport)
    channel = conn.default_channel
    queue = Queue(name, Exchange(name), name, channel=channel)
    queue.declare()
    conn.Producer(channel).publish({"n": 1}, exchange=queue.exchange, routing_key=name)
    in_flight: list[object] = []
    conn.Consumer(
        queue, callbacks=[lambda _body, m: in_flight.append(m)], channel=channel
    ).consume()
    conn.drain_events(timeout=5)
    assert len(in_flight) == 1
    # Connection.collect() leaves the connection detached from its transport; when its first
    # close did not finish (BRPOP on a dead socket), Celery 5.7 closes it again.
    conn.transport.client = None
    try:
        ignore_errors(conn, conn.close)
    finally:
        with Connection(url) as fresh:  # the shared Redis keeps nothing of ours
            queue.bind(fresh.default_channel).delete()


def test_kombus_own_transport_crashes_there(redis_url: str) -> None:
    """The bug this transport works around: an AttributeError, which kills the worker."""
    with pytest.raises(AttributeError, match="hostname"):
        _close_after_collect(redis_url, None)


def test_vigies_transport_closes_quietly_so_the_worker_reconnects(redis_url: str) -> None:
    _close_after_collect(redis_url, "workers.redis_transport:Transport")


def test_the_celery_app_uses_it_for_redis_urls(redis_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_celery(make_settings(tmp_path, REDIS_URL=redis_url))
    with app.connection_for_write() as connection:
        assert type(connection.transport).__module__ == "workers.redis_transport"
