"""Rate limits per source on the webhooks and per login, shared by every web worker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.app import create_app
from moderation.models import Comment
from tests.conftest import make_settings
from tests.queue.conftest import PASSWORD, add_user
from tests.support import comment, meta_headers, signed
from vigie import migrate
from vigie.ratelimit import DatabaseLimiter, Limit, RedisLimiter
from vigie.runtime import Runtime

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def limited(tmp_path: Path) -> Runtime:
    settings = make_settings(tmp_path, VIGIE_RATE_LIMIT_PER_SOURCE=3, VIGIE_LOGIN_MAX_FAILURES=3)
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    yield rt
    rt.close()


def _worker(rt: Runtime) -> FlaskClient:
    """A web worker of its own (own app, own engine) on the same database, like gunicorn's."""
    app: Flask = create_app(runtime=Runtime(rt.settings))
    return app.test_client()


def _post(client: FlaskClient, external_id: str, source: str = "acme") -> object:
    secret = "test-secret" if source == "acme" else "other-secret"
    body, headers = signed(comment(external_id), secret=secret, source=source)
    return client.post("/v1/comments", data=body, headers=headers)


def _stored(rt: Runtime) -> int:
    with rt.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Comment)) or 0)


def test_it_limits_a_source_across_workers_with_retry_after(limited: Runtime) -> None:
    """Three requests a minute per source, counted over two workers; the fourth is a 429."""
    one, two = _worker(limited), _worker(limited)
    answers = [_post(w, f"c{i}").status_code for i, w in enumerate([one, two, one])]
    refused = _post(two, "c3")
    assert answers == [202, 202, 202]
    assert (refused.status_code, refused.json["error"]) == (429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _stored(limited) == 3, "the refused request stored nothing"


def test_it_limits_each_source_on_its_own(limited: Runtime) -> None:
    """One source over its limit does not hold up another."""
    worker = _worker(limited)
    for i in range(4):
        _post(worker, f"a{i}")
    assert _post(worker, "b0", source="other").status_code == 202


def test_it_does_not_let_forged_requests_spend_a_sources_allowance(limited: Runtime) -> None:
    """Requests with a bad signature are refused (401) without counting against the source."""
    worker = _worker(limited)
    body = json.dumps(comment("forged")).encode()
    headers = {"X-Vigie-Source": "acme", "X-Vigie-Signature": "t=1,v1=00"}
    for _ in range(10):
        assert worker.post("/v1/comments", data=body, headers=headers).status_code == 401
    assert _post(worker, "real").status_code == 202


def test_it_limits_the_meta_webhook(limited: Runtime) -> None:
    """Meta counts as one source: its fourth POST in a minute is a 429."""
    worker = _worker(limited)
    body = json.dumps({"object": "page", "entry": []}).encode()
    codes = [
        worker.post("/v1/webhooks/meta", data=body, headers=meta_headers(body)).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_it_resets_the_count_with_the_next_window(limited: Runtime) -> None:
    """A fixed window: full at 10:00:59, open again at 10:01:00, old windows deleted."""
    limiter = DatabaseLimiter(limited.sessions)
    limit = Limit(2, 60)
    start = 1_764_000_000 // 60 * 60
    hits = [limiter.hit("k", limit, start + t).allowed for t in (0, 10, 59)]
    assert hits == [True, True, False]
    assert limiter.blocked("k", limit, start + 59).retry_after_s == 1
    assert limiter.hit("k", limit, start + 60).allowed
    with limited.sessions() as db:
        from vigie.ratelimit import RateCounter

        assert db.scalars(select(RateCounter.window_start)).all() == [start + 60]


@pytest.mark.redis
def test_it_counts_in_redis_when_configured(redis_url: str) -> None:
    """With REDIS_URL the counters live in Redis, shared by every worker that points at it."""
    one, two = RedisLimiter(redis_url), RedisLimiter(redis_url)
    limit = Limit(2, 60)
    key = f"test-{id(one)}"
    verdicts = [w.hit(key, limit, 1_764_000_000.5) for w in (one, two, one)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert verdicts[-1].retry_after_s == 60 - (1_764_000_000 % 60)
    assert two.blocked(key, limit, 1_764_000_000.5).allowed is False


def _log_in(client: FlaskClient, username: str, password: str) -> object:
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )


def test_it_locks_a_login_after_repeated_failures(limited: Runtime) -> None:
    """Three wrong passwords lock the username for the window: even the right one gets a 429."""
    with limited.sessions() as db:
        add_user(db, "mia")
        add_user(db, "noa")
        db.commit()
    client = _worker(limited)
    codes = [_log_in(client, "mia", "wrong password!").status_code for _ in range(3)]
    locked = _log_in(client, "Mia ", PASSWORD)
    assert codes == [401, 401, 401]
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 900
    assert "Too many failed logins" in locked.get_data(as_text=True)
    assert _log_in(_worker(limited), "noa", PASSWORD).status_code == 302, "other users log in"


def test_a_username_locked_from_one_address_still_logs_in_from_another(tmp_path: Path) -> None:
    """Guessing at a colleague's name locks it for the guesser, not for its owner; guesses
    spread over several addresses still lock it everywhere past the per-user ceiling."""
    settings = make_settings(
        tmp_path, VIGIE_LOGIN_MAX_FAILURES=2, VIGIE_LOGIN_MAX_FAILURES_PER_USER=5
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    with rt.sessions() as db:
        add_user(db, "mia")
        db.commit()

    def client(address: str) -> FlaskClient:
        app: Flask = create_app(runtime=Runtime(settings))
        test_client = app.test_client()
        test_client.environ_base["REMOTE_ADDR"] = address
        return test_client

    guesser = client("127.0.0.2")
    codes = [_log_in(guesser, "mia", "wrong password!").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert _log_in(client("127.0.0.3"), "mia", PASSWORD).status_code == 302, "owner logs in"
    for address, tries in (("127.0.0.4", 2), ("127.0.0.5", 1)):  # 5 failures in all
        other = client(address)
        assert {_log_in(other, "mia", "nope, wrong!").status_code for _ in range(tries)} == {401}
    assert _log_in(client("127.0.0.6"), "mia", PASSWORD).status_code == 429, "per-user ceiling"
    rt.close()


def test_it_limits_failed_logins_per_client_address(tmp_path: Path) -> None:
    """Guessing across many usernames from one address is cut off too."""
    settings = make_settings(tmp_path, VIGIE_LOGIN_MAX_FAILURES_PER_IP=2)
    migrate.upgrade(settings.database_url)
    client = create_app(runtime=Runtime(settings)).test_client()
    codes = [_log_in(client, f"user{i}", "wrong password!").status_code for i in range(3)]
    assert codes == [401, 401, 429]


@pytest.mark.postgres
def test_it_refuses_a_nul_username_on_postgres(
    tmp_path: Path, pg_settings: object, pg_url: str
) -> None:
    """A username with a NUL is a wrong login (401) and counts as a failure, not a 500."""
    settings = make_settings(tmp_path, DATABASE_URL=pg_url, VIGIE_LOGIN_MAX_FAILURES=1)
    rt = Runtime(settings)
    client = create_app(runtime=rt).test_client()
    codes = [_log_in(client, "mia\x00", "wrong password!").status_code for _ in range(2)]
    rt.close()
    assert codes == [401, 429]
