"""Retention reaches the alert outbox: old, settled messages keep only their headline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from alerts import retention
from alerts.models import AlertMessage, Incident
from alerts.outbox import FAILED, PENDING, SENT
from vigie.runtime import Runtime

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
PAYLOAD: dict[str, Any] = {
    "text": "x: negative comments ×4.0: 120 in 5 min",
    "blocks": [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Top terms:* panne, remboursement"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "> Marie D. : encore une panne !"}},
    ],
}


def _messages(runtime: Runtime, rows: list[tuple[str, datetime]]) -> list[int]:
    with runtime.sessions.begin() as session:
        incident = Incident(
            platform="x", topic="", kind="spike", status="resolved", severity="warning",
            opened_at=OLD, last_active_at=OLD, evaluated_at=OLD, figures={},
        )  # fmt: skip
        session.add(incident)
        session.flush()
        messages = [
            AlertMessage(
                incident_id=incident.id,
                action="post",
                transport="slack",
                channel="#crisis",
                payload=dict(PAYLOAD),
                status=status,
                attempts=1,
                next_attempt_at=at,
                created_at=at,
            )
            for status, at in rows
        ]
        session.add_all(messages)
        session.flush()
        return [m.id for m in messages]


def test_it_reduces_old_settled_messages_to_their_headline(runtime: Runtime) -> None:
    """Sent and failed messages past the age lose samples and terms; pending and recent stay."""
    rows = [(SENT, OLD), (FAILED, OLD), (PENDING, OLD), (SENT, NOW - timedelta(days=2))]
    sent, failed, pending, recent = _messages(runtime, rows)
    assert retention.purge(runtime.sessions, 30, NOW, batch=1) == 2
    with runtime.sessions() as session:
        payloads = {m.id: m.payload for m in session.scalars(select(AlertMessage))}
    for purged in (sent, failed):
        assert payloads[purged] == {"text": PAYLOAD["text"], retention.PURGED: True}
        assert "Marie" not in str(payloads[purged]) and "panne" not in str(payloads[purged])
    assert payloads[pending] == PAYLOAD and payloads[recent] == PAYLOAD
    assert retention.purge(runtime.sessions, 30, NOW) == 0


def test_it_reaches_messages_behind_many_already_purged(runtime: Runtime) -> None:
    """Paging by id: a batch full of already-purged rows does not stop the purge early."""
    _messages(runtime, [(SENT, OLD)] * 5)
    assert retention.purge(runtime.sessions, 30, NOW, batch=2) == 5
    [newer] = _messages(runtime, [(SENT, OLD)])
    assert retention.purge(runtime.sessions, 30, NOW, batch=2) == 1
    with runtime.sessions() as session:
        assert session.get(AlertMessage, newer).payload[retention.PURGED] is True
