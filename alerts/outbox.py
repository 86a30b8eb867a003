"""The outbox: every alert message is a row before any attempt, updated after each attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from alerts.lifecycle import FIRING
from alerts.models import AlertMessage, Incident
from alerts.transports import DeliveryError, Landed, Outgoing, Transport

MAX_ATTEMPTS = 20
BACKOFF_MAX_S = 300.0  # VIGIE_ALERT_BACKOFF_MAX: longest wait between two attempts
PENDING, SENT, FAILED = "pending", "sent", "failed"


def queue(
    session: Session,
    incident: Incident,
    action: str,
    payload: dict[str, Any],
    transport: str,
    now: datetime,
) -> AlertMessage:
    message = AlertMessage(
        incident_id=incident.id,
        action=action,
        transport=transport,
        channel=incident.slack_channel or "",
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def _no_earlier_pending() -> Any:
    """No earlier message of the same incident is still pending (sent or given up: fine).

    Messages of one incident go out in the order they were queued: the headline before its
    chart, its edits and its thread replies; an edit before the reply that explains it. A
    message waiting on a backoff (Slack 429/500/timeout) holds back the ones behind it.
    """
    earlier = aliased(AlertMessage)
    return ~exists().where(
        earlier.incident_id == AlertMessage.incident_id,
        earlier.id < AlertMessage.id,
        earlier.status == PENDING,
    )


def claim(session: Session, message_id: int, now: datetime, lease_s: float) -> AlertMessage | None:
    """Take a due message for one attempt (compare-and-set), or None if not due, taken, or
    behind an earlier message of its incident that is not sent yet."""
    claimed = session.execute(
        update(AlertMessage)
        .where(
            AlertMessage.id == message_id,
            AlertMessage.status == PENDING,
            AlertMessage.next_attempt_at <= now,
            _no_earlier_pending(),
        )
        .values(
            next_attempt_at=now + timedelta(seconds=lease_s), attempts=AlertMessage.attempts + 1
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(AlertMessage, message_id, populate_existing=True)


def record_sent(session: Session, message: AlertMessage, landed: Landed, now: datetime) -> None:
    message.status, message.sent_at, message.last_error = SENT, now, None
    if message.action == "post":
        incident = session.get(Incident, message.incident_id)
        assert incident is not None
        incident.slack_channel, incident.slack_ts = landed.channel, landed.ts


def record_failure(
    session: Session,
    message: AlertMessage,
    error: DeliveryError,
    now: datetime,
    backoff_max_s: float = BACKOFF_MAX_S,
) -> None:
    """Permanent errors stop here; transient ones wait (Retry-After, else exponential backoff)."""
    message.last_error = str(error)[:500]
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = FAILED
        return
    wait = max(error.retry_after or 0.0, min(backoff_max_s, 2.0**message.attempts))
    message.next_attempt_at = now + timedelta(seconds=wait)


def due(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Messages that can be attempted now: due, and first in line for their incident."""
    return list(
        session.scalars(
            select(AlertMessage.id)
            .where(
                AlertMessage.status == PENDING,
                AlertMessage.next_attempt_at <= now,
                _no_earlier_pending(),
            )
            .order_by(AlertMessage.id)
            .limit(limit)
        )
    )


def following(session: Session, message_id: int, now: datetime) -> int | None:
    """The next message of the same incident, if it is now first in line and due."""
    incident_id = select(AlertMessage.incident_id).where(AlertMessage.id == message_id)
    return session.scalar(
        select(AlertMessage.id)
        .where(
            AlertMessage.incident_id == incident_id.scalar_subquery(),
            AlertMessage.status == PENDING,
            AlertMessage.next_attempt_at <= now,
            _no_earlier_pending(),
        )
        .order_by(AlertMessage.id)
        .limit(1)
    )


def failures(session: Session) -> list[dict[str, Any]]:
    """Permanently failed messages, for /readyz and the UI."""
    rows = session.scalars(
        select(AlertMessage)
        .where(AlertMessage.status == FAILED)
        .order_by(AlertMessage.id.desc())
        .limit(20)
    )
    return [{"message_id": m.id, "incident_id": m.incident_id, "error": m.last_error} for m in rows]


def retry_failed(session: Session, now: datetime, every_incident: bool = False) -> int:
    """Give messages that failed for good a fresh set of attempts (operator command).

    After fixing SLACK_BOT_TOKEN or a channel: by default only the messages of incidents
    still firing, so a long outage does not post a pile of stale headlines; `every_incident`
    re-arms the resolved ones too. They go out in their original order at the next beat.
    """
    failed = select(AlertMessage.id).where(AlertMessage.status == FAILED)
    if not every_incident:
        firing = select(Incident.id).where(Incident.status == FIRING)
        failed = failed.where(AlertMessage.incident_id.in_(firing))
    result = session.execute(
        update(AlertMessage)
        .where(AlertMessage.id.in_(failed))
        .values(status=PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def attempt(
    sessions: sessionmaker[Session],
    message_id: int,
    transport: Transport,
    clock: Callable[[], datetime],
    backoff_max_s: float = BACKOFF_MAX_S,
) -> str:
    """Claim one message, send it outside any transaction, record the outcome; return it."""
    with sessions.begin() as session:
        pending = session.get(AlertMessage, message_id)
        if pending is not None and pending.status == PENDING and _orphaned(session, pending):
            # Its headline failed for good: give up now, without waiting for its turn.
            pending.attempts += 1
            record_failure(
                session,
                pending,
                DeliveryError("the incident's message could not be posted", permanent=True),
                clock(),
            )
            return "failed: the incident's message could not be posted"
        message = claim(session, message_id, clock(), lease_s=60)
        if message is None:
            return "not due or already taken"
        incident = session.get(Incident, message.incident_id)
        assert incident is not None
        outgoing = Outgoing(
            message.action,
            incident.slack_channel or message.channel,
            message.payload,
            incident.slack_ts,
        )
    try:
        landed = transport.send(outgoing)
    except DeliveryError as exc:
        with sessions.begin() as session:
            current = session.get(AlertMessage, message_id)
            assert current is not None
            record_failure(session, current, exc, clock(), backoff_max_s)
            return f"{'failed' if current.status == FAILED else 'will retry'}: {exc}"
    with sessions.begin() as session:
        current = session.get(AlertMessage, message_id)
        assert current is not None
        record_sent(session, current, landed, clock())
    return "sent"


def _orphaned(session: Session, message: AlertMessage) -> bool:
    """A follow-up whose incident has no headline in Slack because its post failed for good."""
    if message.action == "post":
        return False
    incident = session.get(Incident, message.incident_id)
    assert incident is not None
    return incident.slack_ts is None and _post_failed(session, incident.id)


def _post_failed(session: Session, incident_id: int) -> bool:
    return (
        session.scalar(
            select(AlertMessage.id).where(
                AlertMessage.incident_id == incident_id,
                AlertMessage.action == "post",
                AlertMessage.status == FAILED,
            )
        )
        is not None
    )
