"""The decision callback down for an hour (then for eight): retried with backoff and delivered
once it is back, or marked failed and visible in /readyz and the comment's callbacks, never
dropped. In-process on a simulated clock, against a real loopback HTTP receiver; the short
real-process run is in test_processes.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from api.app import create_app
from moderation import delivery
from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Delivery, DeliveryStatus
from tests.conftest import make_settings
from tests.faults.receivers import SwitchableReceiver
from tests.support import comment, signed_get
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import attempt_delivery, score

SWEEP_S = 5.0
COMMENTS = 5


class SimClock:
    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.t = 0.0

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.t)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def receiver(clock: SimClock) -> Iterator[SwitchableReceiver]:
    outage = {"until": 3600.0}
    server = SwitchableReceiver(lambda: clock.t < outage["until"])
    server.outage = outage  # type: ignore[attr-defined]
    yield server
    server.close()


@pytest.fixture
def rt(tmp_path: Path, receiver: SwitchableReceiver) -> Iterator[Runtime]:
    settings = make_settings(
        tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=receiver.url, VIGIE_SCORER="lexicon"
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


def _decide(rt: Runtime) -> list[int]:
    payload = {"comments": [comment(f"cb-{i}", text=f"Comment {i}") for i in range(COMMENTS)]}
    with rt.sessions.begin() as session:
        ids = store_comments(
            session, parse_vigie_payload(payload), "acme", datetime.now(UTC)
        ).new_ids
    return score(rt, ids)


def _run_sweeps(rt: Runtime, clock: SimClock, until_s: float) -> None:
    """What beat's sweep does every SWEEP_S seconds: attempt every due callback."""
    while clock.t <= until_s:
        with rt.sessions() as session:
            due = delivery.due(session, clock())
            pending = session.scalars(
                select(Delivery.next_attempt_at).where(Delivery.status == DeliveryStatus.PENDING)
            ).all()
        for delivery_id in due:
            attempt_delivery(rt, delivery_id, clock)
        if not pending:
            return
        # Jump to the next sweep at which something is due (nothing happens in between).
        nxt = (min(pending) - clock.start).total_seconds()
        clock.t = max(clock.t + SWEEP_S, SWEEP_S * -(-nxt // SWEEP_S))


def _deliveries(rt: Runtime) -> list[Delivery]:
    with rt.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_callback_down_one_hour_is_retried_then_delivered_once(
    rt: Runtime, clock: SimClock, receiver: SwitchableReceiver
) -> None:
    assert len(_decide(rt)) == COMMENTS
    _run_sweeps(rt, clock, until_s=8 * 3600)
    rows = _deliveries(rt)
    assert [r.status for r in rows] == [DeliveryStatus.DELIVERED] * COMMENTS
    delivered_after = [(r.delivered_at - clock.start).total_seconds() for r in rows]
    assert all(3600 <= t <= 3600 + delivery.BACKOFF_MAX_S for t in delivered_after)
    ids = [c["external_id"] for c in receiver.received]
    assert sorted(ids) == sorted(f"cb-{i}" for i in range(COMMENTS)), "each delivered once"
    assert receiver.bad_signatures == 0
    schedule = [delivery.backoff_s(n) for n in range(1, rows[0].attempts)]
    print(
        f"\ncallback down 3600 s (simulated): {receiver.refused} refused attempts, "
        f"{rows[0].attempts} attempts per callback, delivered at t="
        f"{min(delivered_after):.0f}-{max(delivered_after):.0f} s; waits {schedule}"
    )


def test_callback_down_eight_hours_is_marked_failed_visible_and_rearmed(
    rt: Runtime, clock: SimClock, receiver: SwitchableReceiver
) -> None:
    receiver.outage["until"] = 8 * 3600  # type: ignore[attr-defined]
    _decide(rt)
    _run_sweeps(rt, clock, until_s=8 * 3600)
    rows = _deliveries(rt)
    assert [r.status for r in rows] == [DeliveryStatus.FAILED] * COMMENTS
    assert all(r.attempts == rt.settings.callback_max_attempts for r in rows)
    assert all(r.last_error and r.last_error.startswith("HTTP 503") for r in rows)
    gave_up_after = max((r.next_attempt_at - clock.start).total_seconds() for r in rows)
    assert receiver.received == []

    client = create_app(runtime=rt).test_client()
    assert client.get("/readyz").json["detail"]["callbacks_failed"] == COMMENTS
    path = "/v1/comments/x/cb-0"
    callbacks = client.get(path, headers=signed_get(path)).json["decision"]["callbacks"]
    assert [c["status"] for c in callbacks] == ["failed"]

    receiver.outage["until"] = 0  # type: ignore[attr-defined]
    with rt.sessions.begin() as session:  # `vigie deliveries retry`
        assert delivery.retry_failed(session, clock()) == COMMENTS
    _run_sweeps(rt, clock, until_s=clock.t + 60)
    assert [r.status for r in _deliveries(rt)] == [DeliveryStatus.DELIVERED] * COMMENTS
    assert len(receiver.received) == COMMENTS
    print(
        f"\ncallback down 8 h (simulated): marked failed after {rows[0].attempts} attempts "
        f"(~{gave_up_after / 3600:.1f} h), counted in /readyz, delivered after the retry command"
    )
