"""A Redis that accepts connections and never answers does not hold up the webhooks.

The per-source rate limit and the enqueue after the commit both talk to Redis on the request
path. A real listener on loopback stands in for the hung Redis: it accepts every connection,
reads nothing and answers nothing, and counts the connections Vigie opens. After the first
request pays one (short) timeout, the circuit breaker skips Redis: the next requests open no
connection, are acknowledged, and their comments are stored (rate limits count in the
database). Assertions are on connection counts and breaker state, not on wall-clock time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.app import create_app
from moderation.models import Comment, CommentStatus, Delivery, DeliveryStatus
from tests.conftest import REDIS_PORT, make_settings
from tests.queue.conftest import add_item, add_user, token_for
from tests.support import comment, facebook_feed, meta_headers, signed
from vigie import migrate
from vigie.breaker import CircuitBreaker
from vigie.ratelimit import DatabaseLimiter, Limit, RedisLimiter
from vigie.runtime import Runtime

AppFor = Callable[[Runtime], Flask]


class HungRedis:
    """Accepts connections on a loopback port and never answers: a hung Redis. After
    `recover(port)`, new connections are passed through to a real Redis on that port."""

    def __init__(self, db: int = 8) -> None:
        self.listener = _listen()
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/{db}"
        self.lock = threading.Lock()
        self.held: list[socket.socket] = []
        self.upstream: int | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def connections(self) -> int:
        with self.lock:
            return len(self.held)

    def recover(self, upstream_port: int) -> None:
        with self.lock:
            self.upstream = upstream_port

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            with self.lock:
                self.held.append(connection)  # while hung: kept open, never read nor answered
                upstream = self.upstream
            if upstream is not None:
                server = socket.create_connection(("127.0.0.1", upstream))
                for one, other in ((connection, server), (server, connection)):
                    threading.Thread(target=_pipe, args=(one, other), daemon=True).start()

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            for connection in self.held:
                connection.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for one in (source, sink):
            with contextlib.suppress(OSError):
                one.shutdown(socket.SHUT_RDWR)


def _listen() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0))  # a free port the system chooses


@pytest.fixture
def hung() -> Iterator[HungRedis]:
    server = HungRedis()
    yield server
    server.close()


@pytest.fixture
def runtime_on_hung_redis(tmp_path: Path, hung: HungRedis) -> Iterator[Runtime]:
    settings = make_settings(
        tmp_path,
        REDIS_URL=hung.url,
        VIGIE_REDIS_TIMEOUT=0.2,
        VIGIE_BROKER_TIMEOUT=0.5,
        VIGIE_ENQUEUE_WAIT=0,  # enqueue inside the request, so it is on the path under test
        VIGIE_SOURCE_ACME_CALLBACK_URL="http://127.0.0.1:9/hook",  # never reached: no worker
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def app_for() -> Iterator[AppFor]:
    """Apps whose coalescers are closed afterwards: no retry of this test's held comments
    reaches a later test's listener on the same port."""
    apps: list[Flask] = []

    def make(runtime: Runtime) -> Flask:
        app = create_app(runtime=runtime)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        coalescer = app.extensions.get("vigie_coalescer")
        if coalescer is not None:
            coalescer.close()


def _post(client: FlaskClient, external_id: str) -> int:
    body, headers = signed(comment(external_id))
    return client.post("/v1/comments", data=body, headers=headers).status_code


def _stored(runtime: Runtime) -> list[tuple[str, CommentStatus]]:
    with runtime.sessions() as session:
        rows = session.execute(select(Comment.external_id, Comment.status).order_by(Comment.id))
        return [(external_id, status) for external_id, status in rows]


def test_webhooks_are_acknowledged_and_stored_without_waiting_on_a_hung_redis(
    runtime_on_hung_redis: Runtime,
    hung: HungRedis,
    app_for: AppFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first webhook meets the hang; the breaker opens and the next ones do not touch
    Redis at all (no new connection), yet every one is a 202 with its comment stored."""
    runtime = runtime_on_hung_redis
    client = app_for(runtime).test_client()
    caplog.set_level(logging.WARNING, logger="vigie.breaker")

    assert _post(client, "first") == 202
    tried = hung.connections
    assert tried >= 1, "the first request did try Redis"
    assert runtime.redis_breaker.state == "open"

    codes = [_post(client, f"next-{n}") for n in range(4)]
    feed = json.dumps(facebook_feed(("1000_1", "Bonjour"))).encode()
    meta = client.post("/v1/webhooks/meta", data=feed, headers=meta_headers(feed))

    assert codes == [202] * 4
    assert (meta.status_code, meta.json["stored"]) == (200, 1)
    assert hung.connections == tried, "skipped while open: no connection, so no timeout"
    assert _stored(runtime) == [
        (external_id, CommentStatus.PENDING)
        for external_id in ("first", "next-0", "next-1", "next-2", "next-3", "1000_1")
    ]
    opened = [r for r in caplog.records if "skipping it" in r.getMessage()]
    assert len(opened) == 1, "one warning for the outage, none per request"
    assert opened[0].levelno == logging.WARNING
    assert runtime.redis_breaker.openings == 1


def test_rate_limits_still_count_while_redis_is_skipped(
    tmp_path: Path, hung: HungRedis, app_for: AppFor
) -> None:
    """With Redis skipped the source's limit counts in the database: the fourth request in
    the minute is still a 429."""
    settings = make_settings(
        tmp_path, REDIS_URL=hung.url, VIGIE_REDIS_TIMEOUT=0.2, VIGIE_RATE_LIMIT_PER_SOURCE=3
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    client = app_for(runtime).test_client()
    try:
        codes = [_post(client, f"c{n}") for n in range(4)]
        assert codes == [202, 202, 202, 429]
        assert hung.connections == 1
    finally:
        runtime.close()


def test_readiness_still_names_the_hung_broker_as_degraded(
    runtime_on_hung_redis: Runtime, app_for: AppFor
) -> None:
    """/readyz checks the broker itself, breaker or not: still 200 degraded, naming it."""
    client = app_for(runtime_on_hung_redis).test_client()
    assert _post(client, "c1") == 202
    assert runtime_on_hung_redis.redis_breaker.state == "open"
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "degraded"
    assert answer.json["checks"]["broker"] != "ok"
    assert "broker" in answer.json["detail"]["degraded"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_tries_redis_again_after_the_cooldown_only(
    runtime_on_hung_redis: Runtime, hung: HungRedis
) -> None:
    """Open: no connection for 5 s; then one trial (a new connection), which fails and keeps
    the breaker open for another 5 s."""
    clock = Clock()
    breaker = CircuitBreaker("Redis", cooldown_s=5, clock=clock)
    limiter = RedisLimiter(
        hung.url,
        fallback=DatabaseLimiter(runtime_on_hung_redis.sessions),
        timeout_s=0.2,
        breaker=breaker,
    )
    limit = Limit(2, 60)
    seen = []
    for step in (0, 1, 4.9, 5.0, 6.0, 9.9, 10.0):
        clock.now = 1000.0 + step
        limiter.hit("source:acme", limit, 1_764_000_000)
        seen.append(hung.connections)
    assert seen == [1, 1, 1, 2, 2, 2, 3]
    assert breaker.state == "open"
    assert breaker.openings == 1
    assert limiter.blocked("source:acme", limit, 1_764_000_000).allowed is False, (
        "counted in the database meanwhile: 7 hits over a limit of 2"
    )


def test_without_a_fallback_the_limiter_fails_open(hung: HungRedis) -> None:
    """No database to count in: a skipped Redis lets the request through rather than hang."""
    breaker = CircuitBreaker("Redis", clock=Clock())
    limiter = RedisLimiter(hung.url, timeout_s=0.2, breaker=breaker)
    verdicts = [limiter.hit("k", Limit(1, 60), 1_764_000_000) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, True]
    assert limiter.blocked("k", Limit(1, 60), 1_764_000_000).allowed
    assert hung.connections == 1


def test_the_enqueue_skips_a_broker_other_than_redis_url_after_a_failure(
    tmp_path: Path, hung: HungRedis, app_for: AppFor
) -> None:
    """BROKER_URL apart from REDIS_URL has its own breaker: the hung broker is tried once."""
    settings = make_settings(
        tmp_path, BROKER_URL=hung.url, VIGIE_BROKER_TIMEOUT=0.5, VIGIE_ENQUEUE_WAIT=0
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    client = app_for(runtime).test_client()
    try:
        assert _post(client, "c0") == 202
        tried = hung.connections
        assert tried >= 1
        assert runtime.broker_breaker is not None and runtime.broker_breaker.state == "open"
        assert [_post(client, f"c{n}") for n in range(1, 4)] == [202] * 3
        assert hung.connections == tried
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Comment)) == 4
    finally:
        runtime.close()


def test_moderators_decisions_do_not_wait_on_a_hung_broker_either(
    runtime_on_hung_redis: Runtime, hung: HungRedis, app_for: AppFor
) -> None:
    """A moderator's decision enqueues its callback after the commit: behind the same breaker,
    so only the first decision meets the hang; each is answered and its callback kept in the
    outbox for the sweep."""
    runtime = runtime_on_hung_redis
    client = app_for(runtime).test_client()
    with runtime.sessions() as session:
        headers = token_for(session, add_user(session, "mia"), "queue:read", "queue:write")
        items = [add_item(session, at=datetime.now(UTC) - timedelta(minutes=1)) for _ in range(3)]
        session.commit()
        item_ids = [item.id for item in items]

    def decide(item_id: int) -> int:
        client.post(f"/v1/review/items/{item_id}/claim", headers=headers)
        answer = client.post(
            f"/v1/review/items/{item_id}/decision", json={"action": "remove"}, headers=headers
        )
        return answer.status_code

    assert decide(item_ids[0]) == 200
    tried = hung.connections
    assert tried >= 1 and runtime.redis_breaker.state == "open"
    assert [decide(item_id) for item_id in item_ids[1:]] == [200, 200]
    assert hung.connections == tried
    with runtime.sessions() as session:
        statuses = session.scalars(select(Delivery.status)).all()
    assert statuses == [DeliveryStatus.PENDING] * 3


@pytest.mark.redis
def test_comments_held_while_redis_hung_are_enqueued_once_it_answers(
    tmp_path: Path, redis_url: str, app_for: AppFor, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis hangs, then answers again: after the cooldown one trial (the coalescer's retry,
    off the request path) gets through, the breaker closes (one warning), and the comments
    held meanwhile are enqueued at once, not left to beat's sweep."""
    db = int(redis_url.rsplit("/", 1)[1])
    hung = HungRedis(db)
    settings = make_settings(
        tmp_path,
        REDIS_URL=hung.url,
        VIGIE_REDIS_TIMEOUT=0.2,
        VIGIE_BROKER_TIMEOUT=0.5,
        VIGIE_ENQUEUE_WAIT=0,
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    clock = Clock()
    runtime.redis_breaker.clock = clock
    client = app_for(runtime).test_client()
    real = redis.Redis.from_url(redis_url)
    caplog.set_level(logging.WARNING, logger="vigie.breaker")
    try:
        assert [_post(client, f"c{n}") for n in range(3)] == [202] * 3
        assert runtime.redis_breaker.state == "open"
        hung.recover(REDIS_PORT)
        clock.now += 5  # the cooldown is over: the next call is a trial
        deadline = time.monotonic() + 30
        while runtime.redis_breaker.state != "closed" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runtime.redis_breaker.state == "closed"
        enqueued: list[int] = []
        while len(enqueued) < 3 and time.monotonic() < deadline:
            enqueued = sorted(i for message in real.lrange("celery", 0, -1) for i in _ids(message))
            time.sleep(0.05)
        with runtime.sessions() as session:
            assert enqueued == sorted(session.scalars(select(Comment.id)))
        closed = [r for r in caplog.records if "answers again" in r.getMessage()]
        assert len(closed) == 1
    finally:
        real.delete("celery")
        real.close()
        runtime.close()
        hung.close()


def _ids(message: bytes) -> list[int]:
    """The comment ids in a queued `vigie.score_comments` message (kombu's JSON envelope)."""
    envelope = json.loads(message)
    args, _, _ = json.loads(base64.b64decode(envelope["body"]))
    return list(args[0])
