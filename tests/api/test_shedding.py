"""Load shedding: past VIGIE_MAX_BACKLOG undecided comments the webhooks answer 503 overloaded
with Retry-After, store nothing, and accept again once the backlog is decided (PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from api.app import create_app
from api.shedding import Backlog
from moderation.ingest import CommentIn, store_comments
from moderation.models import Comment, CommentStatus
from tests.support import comment, facebook_feed, meta_headers, signed
from vigie.db import make_engine
from vigie.runtime import Runtime
from vigie.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_runtime(pg_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(dataclasses.replace(pg_settings, max_backlog=3))
    yield rt
    rt.close()


@pytest.fixture
def app(pg_runtime: Runtime) -> Flask:
    app = create_app(runtime=pg_runtime)
    # Count on every request: the production gauge re-counts at most once a second.
    app.extensions["vigie_backlog"] = Backlog(pg_runtime.sessions, 3, ttl_s=0)
    return app


def _stored(rt: Runtime) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Comment)) or 0)


def _post(client: FlaskClient, *ids: str) -> tuple[int, dict, dict]:
    body, headers = signed({"comments": [comment(i) for i in ids]})
    response = client.post("/v1/comments", data=body, headers=headers)
    return response.status_code, response.json or {}, dict(response.headers)


def test_it_refuses_new_comments_once_the_backlog_is_over_the_limit(
    app: Flask, pg_runtime: Runtime
) -> None:
    """Four undecided comments with a limit of 3: the next post is 503 overloaded, not stored."""
    client = app.test_client()
    assert _post(client, "a", "b", "c", "d")[0] == 202
    status, body, headers = _post(client, "e")
    assert status == 503
    assert body["error"] == "overloaded"
    assert int(headers["Retry-After"]) > 0
    assert _stored(pg_runtime) == 4


def test_it_accepts_again_once_the_backlog_is_decided(app: Flask, pg_runtime: Runtime) -> None:
    """Decided comments no longer count: the refused comment is accepted when re-sent."""
    client = app.test_client()
    assert _post(client, "a", "b", "c", "d")[0] == 202
    assert _post(client, "e")[0] == 503
    with pg_runtime.sessions.begin() as session:
        session.execute(update(Comment).values(status=CommentStatus.DECIDED))
    assert _post(client, "e")[0] == 202
    assert _stored(pg_runtime) == 5


def test_it_stores_the_meta_webhook_even_past_the_limit(app: Flask, pg_runtime: Runtime) -> None:
    """Meta's posts are not shed (Meta unsubscribes webhooks that keep failing): stored, 200,
    while the other sources are still refused."""
    client = app.test_client()
    assert _post(client, "a", "b", "c", "d")[0] == 202
    raw = json.dumps(facebook_feed(("fb-1", "Bonjour"))).encode()
    response = client.post("/v1/webhooks/meta", data=raw, headers=meta_headers(raw))
    assert (response.status_code, response.json["stored"]) == (200, 1)
    assert _stored(pg_runtime) == 5
    assert _post(client, "e")[0] == 503


def test_it_never_sheds_with_a_limit_of_zero(pg_runtime: Runtime) -> None:
    """VIGIE_MAX_BACKLOG=0 turns shedding off."""
    app = create_app(runtime=pg_runtime)
    app.extensions["vigie_backlog"] = Backlog(pg_runtime.sessions, 0, ttl_s=0)
    client = app.test_client()
    for n in range(3):
        assert _post(client, *[f"c{n}-{i}" for i in range(4)])[0] == 202
    assert _stored(pg_runtime) == 12


def test_it_counts_at_most_limit_plus_one(pg_runtime: Runtime) -> None:
    """The count is bounded: how far past the limit does not matter, and is not scanned."""
    now = datetime.now(UTC)
    items = [CommentIn.model_validate(comment(f"n{i}")) for i in range(10)]
    with pg_runtime.sessions.begin() as session:
        store_comments(session, items, "acme", now)
    assert Backlog(pg_runtime.sessions, 3, ttl_s=0).current(0.0) == 4
    assert Backlog(pg_runtime.sessions, 100, ttl_s=0).current(0.0) == 10


def test_it_stores_a_batch_once_on_postgres(pg_runtime: Runtime) -> None:
    """The one-statement insert skips duplicates within a batch and across batches."""
    now = datetime.now(UTC)
    first = [CommentIn.model_validate(comment(i)) for i in ("a", "b", "a")]
    second = [CommentIn.model_validate(comment(i, author={"id": "u9"})) for i in ("b", "c")]
    with pg_runtime.sessions.begin() as session:
        assert len(store_comments(session, first, "acme", now).new_ids) == 2
    with pg_runtime.sessions.begin() as session:
        result = store_comments(session, second, "acme", now)
    assert (len(result.new_ids), result.duplicates) == (1, 1)
    with pg_runtime.sessions() as session:
        rows = session.execute(select(Comment.external_id, Comment.author_id)).all()
        created = session.scalar(select(Comment.created_at).where(Comment.external_id == "c"))
    assert sorted(rows) == [("a", "u1"), ("b", "u1"), ("c", "u9")]
    assert created == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_it_answers_503_when_no_database_connection_comes_in_time(pg_runtime: Runtime) -> None:
    """Every pooled connection busy past the pool timeout: 503 overloaded, not a hang or a 500."""
    pg_runtime.__dict__["engine"] = make_engine(
        pg_runtime.settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    app = create_app(runtime=pg_runtime)
    app.extensions["vigie_backlog"] = Backlog(pg_runtime.sessions, 0)
    with pg_runtime.engine.connect():  # the only connection, held
        status, body, headers = _post(app.test_client(), "a")
    assert (status, body["error"]) == (503, "overloaded")
    assert "Retry-After" in headers
    assert _stored(pg_runtime) == 0
