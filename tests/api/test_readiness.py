"""/readyz with Redis (broker and rate limiter) unreachable: degraded, 200, nothing refused.

A load balancer routes on /readyz's status. Every web process shares the one Redis, so a 503
for it would take them all out of rotation, while they still store every comment: the
comments are committed before the (failing) enqueue, the rate limit counts in the database,
and beat's sweep enqueues what waits once Redis is back. The database down, or no valid
rules, stays 503. A real redis-server is stopped under the running app; no mock.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

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
