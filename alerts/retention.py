"""Data retention for alerts: the outbox keeps what Slack was sent, which quotes comments.

An alert message's payload carries up to three sample comments and the top terms of the
incident's comments. Once a message is past the retention age and no longer pending (sent, or
failed for good), its payload is reduced to the headline, which holds figures only. Pending
messages are kept whole: they still have to be sent. Incidents and their figures stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.models import AlertMessage
from alerts.outbox import PENDING

PURGED = "retention_purged"


def purge_batch(
    session: Session, created_before: datetime, after_id: int = 0, limit: int = 500
) -> tuple[int, int | None]:
    """Look at up to `limit` settled messages older than the cutoff with ids above `after_id`.

    Each not yet purged is reduced to its headline. Returns (how many were purged, the last id
    looked at, or None when there were none left).
    """
    messages = list(
        session.scalars(
            select(AlertMessage)
            .where(
                AlertMessage.id > after_id,
                AlertMessage.created_at < created_before,
                AlertMessage.status != PENDING,
            )
            .order_by(AlertMessage.id)
            .limit(limit)
        )
    )
    done = 0
    for message in messages:
        if not message.payload.get(PURGED):
            message.payload = {"text": str(message.payload.get("text", "")), PURGED: True}
            done += 1
    session.flush()
    return done, (messages[-1].id if messages else None)


def purge(sessions: sessionmaker[Session], days: int, now: datetime, batch: int = 500) -> int:
    """Purge every settled alert message older than `days`, one transaction per batch."""
    cutoff = now - timedelta(days=days)
    total, after = 0, 0
    while True:
        with sessions.begin() as session:
            done, last = purge_batch(session, cutoff, after, batch)
        total += done
        if last is None:
            return total
        after = last
