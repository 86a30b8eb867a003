"""Slack buttons (Acknowledge, Snooze 1 h, Resolve) and silences, applied to incidents.

The endpoint only records the decision and queues the message edits in the outbox; the beat
sends them within seconds, so Slack gets its answer well within 3 s.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session

from alerts.evaluate import Context, follow_up
from alerts.lifecycle import RESOLVED
from alerts.message import slack_escape
from alerts.models import Incident, Silence

SNOOZE = timedelta(hours=1)
SILENCE = timedelta(hours=4)


class InteractionError(ValueError):
    """The request is not a button click Vigie understands."""


@dataclass(frozen=True)
class Click:
    action: str  # ack | snooze_1h | silence_4h | resolve
    incident_id: int
    user: str


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify(
    secret: str | Sequence[str],
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float,
) -> bool:
    """Slack's v0 signature over the raw body, and a timestamp at most 5 minutes old.

    Several secrets (SLACK_SIGNING_SECRET and, while rotating, SLACK_SIGNING_SECRET_PREVIOUS):
    each is checked (slack_sdk compares in constant time), even after one matched.
    """
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    try:
        valid = [
            SignatureVerifier(one, _FixedClock(now)).is_valid(body, timestamp, signature)
            for one in secrets
        ]
    except ValueError:  # a timestamp that is not a number
        return False
    return any(valid)


def parse_click(body: bytes) -> Click:
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    try:
        payload: dict[str, Any] = json.loads(form["payload"][0])
        action = payload["actions"][0]
        user = payload.get("user") or {}
        if not isinstance(user, dict):
            raise TypeError(f"user is {type(user).__name__}, not an object")
        incident_id = int(action["value"])
        if not 0 < incident_id < 2**31:  # row ids are 32-bit; larger ones overflow the query
            raise ValueError(f"no incident {incident_id}")
        name = str(user.get("username") or user.get("id") or "someone")
        # The column holds 128 characters, and PostgreSQL text no NUL.
        name = name.replace("\x00", "")[:128] or "someone"
        return Click(str(action["action_id"]), incident_id, name)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise InteractionError(f"not a Vigie button click: {exc}") from None


def apply_click(session: Session, click: Click, now: datetime, ctx: Context) -> list[Any]:
    """Record the click on its incident; queue the headline edit and a thread note."""
    incident = session.get(Incident, click.incident_id)
    if incident is None:
        raise InteractionError(f"no incident {click.incident_id}")
    who = slack_escape(click.user)  # a Slack or Vigie name, shown in the incident's thread
    if click.action == "ack":
        incident.acknowledged_at, incident.acknowledged_by = now, click.user
        text = f"Acknowledged by {who}."
    elif click.action == "snooze_1h":
        incident.snoozed_until = now + SNOOZE
        text = f"Snoozed for 1 h by {who}."
    elif click.action == "silence_4h":
        add_silence(
            session,
            incident.platform,
            incident.topic or None,
            now + SILENCE,
            click.user,
            "from Slack",
            now,
        )
        text = f"{incident.platform}{' · ' + incident.topic if incident.topic else ''} silenced for 4 h by {who}."
    elif click.action == "resolve":
        incident.status, incident.resolved_at = RESOLVED, now
        text = f"Resolved by {who}."
    else:
        raise InteractionError(f"unknown action {click.action!r}")
    session.flush()
    return follow_up(session, incident, now, ctx, text) if incident.notified_at else []


def add_silence(
    session: Session,
    platform: str | None,
    topic: str | None,
    ends_at: datetime,
    by: str,
    reason: str,
    now: datetime,
) -> Silence:
    if ends_at <= now:
        raise InteractionError("a silence must end in the future")
    silence = Silence(
        platform=platform,
        topic=topic,
        ends_at=ends_at,
        created_by=by,
        reason=reason,
        created_at=now,
    )
    session.add(silence)
    session.flush()
    return silence
