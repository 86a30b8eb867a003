"""/readyz with Redis (broker and rate limiter) unreachable: degraded, 200, nothing refused.

A load balancer routes on /readyz's status. Every web process shares the one Redis, so a 503
for it would take them all out of rotation, while they still store every comment: the
comments are committed before the (failing) enqueue, the rate limit counts in the database,
and beat's sweep enqueues what waits once Redis is back. The database down, or no valid
rules, stays 503. A real redis-server is stopped under the running app; no mock.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.app import create_app
from moderation.models import Comment
from tests.conftest import free_port, make_settings
from tests.faults.stack import PrivateRedis
from tests.support import comment, signed
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import find_lost_work


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _app(tmp_path: Path, redis_url: str) -> tuple[Flask, Runtime]:
    settings = make_settings(
        tmp_path,
        REDIS_URL=redis_url,
        VIGIE_ENQUEUE_WAIT=0,  # enqueue inside the request: its failure is part of the answer
        VIGIE_BROKER_TIMEOUT=1,
        VIGIE_RESCUE_AFTER=0.001,
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    return create_app(runtime=runtime), runtime


def test_redis_stopped_leaves_the_web_ready_degraded_and_storing(
    tmp_path: Path, redis_server: PrivateRedis
) -> None:
    app, runtime = _app(tmp_path, redis_server.url)
    client = app.test_client()
    try:
        before = client.get("/readyz")
        assert before.status_code == 200 and before.json["status"] == "ready", before.json
        assert before.json["checks"]["broker"] == "ok"

        redis_server.stop()
        during = client.get("/readyz")
        assert during.status_code == 200, during.json
        assert during.json["status"] == "degraded"
        assert during.json["checks"]["broker"].startswith("unreachable")
        assert "202" in during.json["detail"]["degraded"]["broker"]
        body, headers = signed(comment("while-redis-is-down"))
        posted = client.post("/v1/comments", data=body, headers=headers)
        assert posted.status_code == 202, posted.json
        assert posted.json["stored"] == 1
        with runtime.sessions() as session:
            stored = session.scalars(select(Comment)).all()
            assert [(c.external_id, c.status) for c in stored] == [
                ("while-redis-is-down", "pending")
            ]
        # Nothing lost: beat's sweep finds it for scoring once it runs again.
        stale, _ = find_lost_work(runtime)
        assert stale == [stored[0].id]

        redis_server.start()
        after = client.get("/readyz")
        assert after.status_code == 200 and after.json["status"] == "ready", after.json
        assert "degraded" not in after.json["detail"]
    finally:
        runtime.close()


def test_the_database_down_is_still_not_ready_with_redis_down(tmp_path: Path) -> None:
    """The one dependency without which nothing can be stored still takes the web out."""
    app, runtime = _app(tmp_path, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    try:
        (tmp_path / "vigie.sqlite3").unlink()
        (tmp_path / "vigie.sqlite3").mkdir()  # the database file cannot be opened
        runtime.engine.dispose()  # a pooled connection (rules stored at start) keeps the old file
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503, answer.json
        assert answer.json["status"] == "unavailable"
        assert answer.json["checks"]["database"].startswith("unreachable")
        assert answer.json["checks"]["broker"].startswith("unreachable")
    finally:
        runtime.close()


class SilentServer:
    """A real TCP listener on loopback that accepts every connection and never says a word:
    what a hung Redis or PostgreSQL looks like from a client (connect succeeds, reads wait)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.held.append(connection)  # kept open, never read nor answered

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _timed(client: Any) -> tuple[float, Any]:
    started = time.monotonic()
    answer = client.get("/readyz")
    return time.monotonic() - started, answer


def test_a_hung_redis_is_named_within_a_probes_one_second(
    tmp_path: Path, silent: SilentServer
) -> None:
    """Redis accepts the connection and never answers: /readyz still answers within 1 s
    (a Kubernetes probe's default timeout), degraded, naming the broker as the slow one."""
    settings = make_settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{silent.port}/13")
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)  # VIGIE_BROKER_TIMEOUT: its default 5 s
    client = create_app(runtime=runtime).test_client()
    try:
        for _ in range(3):  # again while the first check still hangs: no thread piles up
            took, answer = _timed(client)
            assert took < 1.0, took
            assert answer.status_code == 200, answer.json
            assert answer.json["status"] == "degraded"
            assert answer.json["checks"] == {
                "database": "ok",
                "broker": "no answer within 0.8 s",
                "rules": "ok",
            }
            assert answer.json["detail"]["slow"] == ["broker"]
            assert "broker" in answer.json["detail"]["degraded"]
            assert answer.json["detail"]["callbacks_failed"] == 0
        assert sum(t.name == "readyz-broker" for t in threading.enumerate()) == 1
        assert len(silent.held) >= 1, "the check did reach the listener"
    finally:
        runtime.close()


def test_a_hung_database_is_named_and_not_ready_within_one_second(
    tmp_path: Path, silent: SilentServer
) -> None:
    """PostgreSQL accepts the connection and never answers: 503 within 1 s, naming it."""
    settings = make_settings(
        tmp_path, DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{silent.port}/none"
    )
    runtime = Runtime(settings)
    client = create_app(runtime=runtime).test_client()
    try:
        took, answer = _timed(client)
        assert took < 1.0, took
        assert answer.status_code == 503, answer.json
        assert answer.json["status"] == "unavailable"
        assert answer.json["checks"]["database"] == "no answer within 0.8 s"
        assert answer.json["checks"]["rules"] == "ok"
        assert answer.json["detail"]["slow"] == ["database"]
    finally:
        runtime.close()


def test_a_broker_refusing_connections_is_reported_at_once(tmp_path: Path) -> None:
    """Nothing listens on Redis's port: kombu used to sleep 2 s before its one retry (2.15 s
    in all); now the retry is immediate and the answer says why, not "no answer"."""
    settings = make_settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/13")
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    try:
        took, answer = _timed(create_app(runtime=runtime).test_client())
        assert took < 0.8, took
        assert answer.status_code == 200 and answer.json["status"] == "degraded"
        assert answer.json["checks"]["broker"].startswith("unreachable: ")
        assert "slow" not in answer.json["detail"]
    finally:
        runtime.close()
