"""Slack down for 10 minutes (429 with Retry-After, 500, timeouts), then back: every alert
message arrives once, in the order it was queued for its incident, replies in the headline's
thread. In-process on a simulated clock (the outbox takes `now`); the real-process variant is
in test_slack_outage_processes.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import outbox
from alerts.models import AlertMessage, Incident
from alerts.transports import SlackTransport
from tests.alerts.fake_slack import FakeSlack
from vigie import migrate
from vigie.db import make_engine, make_sessionmaker

START = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
OUTAGE = (10.0, 610.0)  # simulated seconds: down from t=10 s for 10 minutes


class SimClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path}/faults.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _incident(session: Session, platform: str, now: datetime) -> Incident:
    incident = Incident(
        platform=platform, topic="", kind="spike", status="firing", severity="warning",
        opened_at=now, last_active_at=now, evaluated_at=now, notified_at=now, figures={},
        slack_channel="C1",
    )  # fmt: skip
    session.add(incident)
    session.flush()
    return incident


# (simulated second, incident, action, text): what a beat would queue over the outage.
PLAN = [
    (0, "a", "post", "a1 headline"),
    (0, "a", "reply", "a2 first reply"),
    (5, "b", "post", "b1 headline"),  # queued before the outage, may not go before it
    (11, "a", "update", "a3 severity raised"),
    (11, "a", "reply", "a4 Severity raised to high."),
    (12, "c", "post", "c1 headline (opened during the outage)"),
    (40, "c", "update", "c2 edit"),
    (41, "c", "reply", "c3 reply"),
    (300, "b", "reply", "b2 Still firing and not acknowledged."),
    (301, "a", "update", "a5 resolved"),
    (301, "a", "reply", "a6 Resolved: back to normal levels."),
    (620, "b", "update", "b3 resolved after the outage"),
    (620, "b", "reply", "b4 Resolved."),
]


def test_slack_down_ten_minutes_then_every_message_once_in_order(
    sessions: sessionmaker[Session],
) -> None:
    clock = SimClock()
    with FakeSlack(clock=clock, hang_s=1.5) as slack:
        slack.fail_between(*OUTAGE, mode="mixed")
        transport = SlackTransport("xoxb-test", base_url=slack.url, timeout=1)
        incidents: dict[str, int] = {}
        plan = list(PLAN)
        last_sent_at = 0.0
        started = time.monotonic()
        while clock.t < 3600:
            now = clock.now()
            while plan and plan[0][0] <= clock.t:
                _, key, action, text = plan.pop(0)
                with sessions.begin() as session:
                    if key not in incidents:
                        incidents[key] = _incident(session, key, now).id
                    incident = session.get(Incident, incidents[key])
                    assert incident is not None
                    outbox.queue(session, incident, action, {"text": text}, "slack", now)
            with sessions() as session:
                due = outbox.due(session, now)
            for message_id in due:
                if outbox.attempt(sessions, message_id, transport, clock.now) == "sent":
                    last_sent_at = clock.t
            if not plan and not _pending(sessions):
                break
            clock.t += 1.0
        elapsed = time.monotonic() - started

    with sessions() as session:
        messages = list(session.scalars(select(AlertMessage).order_by(AlertMessage.id)))
        ts = {i.id: i.slack_ts for i in session.scalars(select(Incident))}
    assert [m.status for m in messages] == ["sent"] * len(PLAN), [
        (m.id, m.status, m.last_error) for m in messages
    ]
    sent_texts = [body["text"] for _, body in slack.calls]
    assert sorted(sent_texts) == sorted(text for *_, text in PLAN), "each message arrives once"
    for key in incidents:
        queued = [text for _, k, _, text in PLAN if k == key]
        arrived = [t for t in sent_texts if t.startswith(key)]
        assert arrived == queued, f"incident {key}: out of order"
    for method, body in slack.calls:
        incident_ts = ts[incidents[body["text"][0]]]
        if method == "chat.update":
            assert body["ts"] == incident_ts
        elif body["text"].endswith("headline") or "headline" in body["text"]:
            assert "thread_ts" not in body
        else:
            assert body["thread_ts"] == incident_ts, "a reply goes to its headline's thread"
    modes = {mode for *_, mode in slack.refused}
    assert modes == {"429", "500", "timeout"}, modes
    print(
        f"\nslack outage 600 s (simulated): {len(slack.refused)} refused attempts "
        f"({', '.join(f'{m}: {sum(1 for *_, x in slack.refused if x == m)}' for m in sorted(modes))}),"
        f" {len(slack.calls)} messages delivered, last one at t={last_sent_at:.0f} s "
        f"({last_sent_at - OUTAGE[1]:.0f} s after Slack came back); {elapsed:.1f} s of real time"
    )


def _pending(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return (
            session.scalar(select(AlertMessage.id).where(AlertMessage.status == "pending"))
            is not None
        )
