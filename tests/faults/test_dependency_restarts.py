"""Redis restarted, then PostgreSQL restarted, during a steady ingest through gunicorn, with a
real worker and beat. Each restart is of a PRIVATE server started by the test (never the
machine's shared ones).

- Redis down: the webhook keeps answering 202, honestly: the comment is committed to
  PostgreSQL before the (failing) enqueue, and beat's sweep enqueues it once Redis is back.
  Rate limits count in the database meanwhile. The restarted Redis has no persistence: queued
  tasks are lost with it and recovered the same way.
- PostgreSQL down: the webhook answers 503 with Retry-After and a JSON reason (it cannot store
  anything); it recovers by itself when the server is back (pool_pre_ping).
In both, never a 500 or a hang, and every comment that got a 2xx is decided, once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.faults.stack import PrivatePostgres, PrivateRedis, Stack, counts, wait_for
from tests.support import comment
from vigie import migrate
from vigie.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
INGEST_S, DOWN_AT, DOWN_FOR = 16.0, 4.0, 6.0
BATCH = 10


class Ingest(threading.Thread):
    """Post batches back to back for INGEST_S seconds; record every answer."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.accepted: list[str] = []
        self.answers: list[tuple[float, int, float]] = []  # (t, status, seconds)
        self.bad: list[str] = []
        self.started_at = 0.0

    def run(self) -> None:
        self.started_at = time.monotonic()
        n = 0
        while time.monotonic() - self.started_at < INGEST_S:
            ids = [f"i{n}-{i}" for i in range(BATCH)]
            n += 1
            sent = time.monotonic()
            try:
                response = self.stack.post(
                    {"comments": [comment(x, text=f"ingest {x}") for x in ids]}, timeout=15
                )
            except requests.RequestException as exc:
                self.bad.append(f"no answer: {type(exc).__name__}")
                continue
            took = time.monotonic() - sent
            self.answers.append((sent - self.started_at, response.status_code, took))
            if 200 <= response.status_code < 300:
                self.accepted += ids
            elif response.status_code == 503:
                body = response.json()
                if not (body.get("error") and response.headers.get("Retry-After")):
                    self.bad.append(f"503 without reason or Retry-After: {body}")
                time.sleep(0.2)  # a polite client waits (shorter than Retry-After, to probe)
            else:
                self.bad.append(f"{response.status_code}: {response.text[:200]}")
            time.sleep(0.05)

    def summary(self) -> str:
        statuses = Counter(s for _, s, _ in self.answers)
        slowest = max(t for *_, t in self.answers)
        return f"answers {dict(statuses)}, slowest {slowest:.2f} s, {len(self.accepted)} accepted"


def _run(stack: Stack, database_url: str, down: Callable[[], None], up: Callable[[], None]) -> Any:
    stack.web()
    stack.worker("w")
    stack.beat()
    ingest = Ingest(stack)
    ingest.start()
    time.sleep(DOWN_AT)
    down()
    down_at = time.monotonic() - ingest.started_at
    time.sleep(DOWN_FOR)
    up()
    up_at = time.monotonic() - ingest.started_at
    ingest.join(timeout=INGEST_S + 60)
    assert not ingest.is_alive()
    assert ingest.bad == [], ingest.bad
    accepted = len(ingest.accepted)
    started = time.monotonic()
    wait_for(lambda: counts(database_url)["decided"] >= accepted, 120, "accepted comments decided")
    drained = time.monotonic() - started
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT external_id FROM comments")).scalars())
        pending = connection.execute(
            text("SELECT count(*) FROM comments WHERE status = 'pending'")
        ).scalar_one()
    engine.dispose()
    missing = set(ingest.accepted) - stored
    assert not missing, f"{len(missing)} accepted comments lost"
    final = counts(database_url)
    assert final["decided_twice"] == 0 and final["decisions"] == final["decided"]
    assert pending == 0
    return ingest, down_at, up_at, drained


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.postgres
def test_redis_restart_during_ingest(
    tmp_path: Path, pg_settings: Settings, private_redis: PrivateRedis
) -> None:
    stack = Stack(
        tmp_path,
        DATABASE_URL=pg_settings.database_url,
        REDIS_URL=private_redis.url,
        VIGIE_RESCUE_AFTER="5",
    )
    try:
        ingest, down_at, up_at, drained = _run(
            stack, pg_settings.database_url, private_redis.stop, private_redis.start
        )
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
    during = [s for t, s, _ in ingest.answers if down_at <= t < up_at]
    assert during and set(during) == {202}, "Redis down: comments are still stored (202)"
    print(
        f"\nRedis down {down_at:.1f}-{up_at:.1f} s of a {INGEST_S:.0f} s ingest: "
        f"{ingest.summary()}; {len(during)} answers while down (all 202); "
        f"all decided {drained:.1f} s after the ingest ended"
    )


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    migrate.upgrade(server.url)
    yield server
    server.destroy()


@pytest.mark.redis
def test_postgres_restart_during_ingest(
    tmp_path: Path, private_pg: PrivatePostgres, clean_redis: str
) -> None:
    stack = Stack(
        tmp_path, DATABASE_URL=private_pg.url, REDIS_URL=clean_redis, VIGIE_RESCUE_AFTER="5"
    )
    try:
        ingest, down_at, up_at, drained = _run(
            stack, private_pg.url, private_pg.stop, private_pg.start
        )
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
    statuses = Counter(s for _, s, _ in ingest.answers)
    assert statuses[503] > 0, "PostgreSQL down: the webhook said so"
    assert set(statuses) <= {202, 503}
    after = [t for t, s, _ in ingest.answers if s == 202 and t >= up_at]
    assert after, "the webhook accepts comments again once PostgreSQL is back"
    print(
        f"\nPostgreSQL down {down_at:.1f}-{up_at:.1f} s of a {INGEST_S:.0f} s ingest: "
        f"{ingest.summary()}; first 202 {after[0] - up_at:.2f} s after the restart; "
        f"all decided {drained:.1f} s after the ingest ended"
    )
