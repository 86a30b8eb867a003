"""Machine decisions' callbacks go out in batches: claimed together, sent several at a time,
each outcome recorded on its own row (SQLite and PostgreSQL)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Delivery, DeliveryStatus
from tests.conftest import make_settings
from tests.support import CallbackReceiver, comment
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import CALLBACK_CONCURRENCY, attempt_deliveries, score


class RendezvousReceiver:
    """Answers 200 only once `parties` requests are in flight together (503 after 10 s).

    Callbacks sent one after the other can never meet there, so a batch that is not sent
    concurrently fails the test instead of passing slowly.
    """

    def __init__(self, parties: int) -> None:
        barrier = threading.Barrier(parties, timeout=10)
        self.received: list[dict[str, Any]] = []
        lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    self.send_response(503)
                    self.end_headers()
                    return
                with lock:
                    receiver.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _decide(rt: Runtime, count: int, source: str = "acme") -> list[int]:
    payload = {"comments": [comment(f"{source}-{i}", text=f"Comment {i}") for i in range(count)]}
    with rt.sessions.begin() as session:
        ids = store_comments(
            session, parse_vigie_payload(payload), source, datetime.now(UTC)
        ).new_ids
    return score(rt, ids)


def _rows(rt: Runtime) -> list[Delivery]:
    with rt.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    pg_settings = request.getfixturevalue("pg_settings")
    return {"DATABASE_URL": pg_settings.database_url}


@pytest.fixture
def rendezvous() -> Iterator[RendezvousReceiver]:
    server = RendezvousReceiver(CALLBACK_CONCURRENCY)
    yield server
    server.close()


def test_a_batch_is_sent_concurrently_and_each_outcome_recorded(
    tmp_path: Path, database: dict[str, str], rendezvous: RendezvousReceiver
) -> None:
    settings = make_settings(
        tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=rendezvous.url, VIGIE_SCORER="lexicon", **database
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    try:
        ids = _decide(rt, 2 * CALLBACK_CONCURRENCY)
        attempt_deliveries(rt, ids)
        rows = _rows(rt)
        assert [r.status for r in rows] == [DeliveryStatus.DELIVERED] * len(ids)
        assert [r.attempts for r in rows] == [1] * len(ids)
        got = sorted(body["external_id"] for body in rendezvous.received)
        assert got == sorted(f"acme-{i}" for i in range(len(ids))), "each sent once"
        attempt_deliveries(rt, ids)  # delivered ones are not claimed again
        assert len(rendezvous.received) == len(ids)
    finally:
        rt.close()


def test_a_batch_records_failures_per_row_and_skips_what_is_not_due(
    tmp_path: Path, database: dict[str, str]
) -> None:
    good, refusing = CallbackReceiver(), CallbackReceiver(secret="other-secret", status=500)
    settings = make_settings(
        tmp_path,
        VIGIE_SOURCE_ACME_CALLBACK_URL=good.url,
        VIGIE_SOURCE_OTHER_CALLBACK_URL=refusing.url,
        VIGIE_SCORER="lexicon",
        **database,
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    try:
        acme, other = _decide(rt, 3, "acme"), _decide(rt, 2, "other")
        not_due = acme[0]
        with rt.sessions.begin() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == not_due)
                .values(next_attempt_at=datetime(2100, 1, 1, tzinfo=UTC))
            )
        attempt_deliveries(rt, acme + other)
        by_id = {r.id: r for r in _rows(rt)}
        assert by_id[not_due].attempts == 0 and by_id[not_due].status is DeliveryStatus.PENDING
        for delivery_id in acme[1:]:
            assert by_id[delivery_id].status is DeliveryStatus.DELIVERED
        for delivery_id in other:  # stored by the receiver, but answered 500
            row = by_id[delivery_id]
            assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
            assert row.last_error is not None and row.last_error.startswith("HTTP 500")
        assert sorted(b["external_id"] for b in good.received) == ["acme-1", "acme-2"]
    finally:
        good.close()
        refusing.close()
        rt.close()
