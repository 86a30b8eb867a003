"""Shared fixtures: settings, migrated databases (SQLite, PostgreSQL), Redis, app and client.

Each test run gets its own PostgreSQL database and its own Redis db number, so runs on the same
machine cannot disturb each other. Under CI=true a missing PostgreSQL or Redis fails the tests
that need it; on a developer machine they are skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from tests.support import SECRET
from vigie import migrate
from vigie.runtime import Runtime
from vigie.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "VIGIE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Fail under CI=true, skip elsewhere, when a service the test needs is down."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: services are required)")
    pytest.skip(message)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: embedded SQLite database and broker under `data_dir`."""
    environ = {
        "VIGIE_ENV": "test",
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_SOURCES": "acme,other",
        "VIGIE_SOURCE_ACME_SECRET": SECRET,
        "VIGIE_SOURCE_OTHER_SECRET": "other-secret",
        "META_APP_SECRET": "meta-app-secret",
        "META_VERIFY_TOKEN": "meta-verify-token",
    }
    environ.update({k: str(v) for k, v in overrides.items()})
    return Settings.from_env(environ)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path)
    migrate.upgrade(settings.database_url)
    return settings


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime=runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@contextmanager
def empty_pg_database(prefix: str = "vigie_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database of its own, dropped afterwards."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped afterwards."""
    with empty_pg_database() as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def pg_settings(tmp_path: Path, pg_url: str) -> Iterator[Settings]:
    """Settings on the run's PostgreSQL database; tables are emptied after each test."""
    settings = make_settings(tmp_path, DATABASE_URL=pg_url)
    yield settings
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE alert_messages, alert_silences, alert_incidents, alert_counts, audit_log,"
                " review_items, api_tokens, users, deliveries, decisions, comments, rate_counters,"
                " rule_versions"
                " RESTART IDENTITY"
            )
        )
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis db number of its own for this run (1..15), flushed afterwards.

    Claimed with a marker key naming this process (tests/redis_claim.py), so parallel runs
    pick different ones and a crashed run's db is taken over by the next run on this host.
    """
    need_service("Redis", REDIS_HOST, REDIS_PORT)
    import redis

    from tests.redis_claim import TEST_RUN_KEY, claim_db

    # VIGIE_TEST_REDIS_DB: on a shared machine, the one db number this run may use.
    only = os.environ.get("VIGIE_TEST_REDIS_DB")
    candidates = [int(only)] if only else list(range(1, 16))
    url = claim_db(REDIS_HOST, REDIS_PORT, candidates, TEST_RUN_KEY, ttl=3600)
    if url is None:
        pytest.fail(f"no free Redis db number for this test run (tried {candidates})")
    yield url
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
