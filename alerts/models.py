"""Alert tables: per-minute counters, incidents, silences, and the outbox of messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from moderation.models import Base

ALL_TOPICS = ""  # the topic of a platform's overall counts


class MinuteCount(Base):
    """Comments decided in one minute, for one platform and topic ("" = all)."""

    __tablename__ = "alert_counts"
    __table_args__ = (UniqueConstraint("platform", "topic", "minute"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(64), default=ALL_TOPICS)
    minute: Mapped[datetime]
    total: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    toxic: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    """One incident per (platform, topic, kind) at a time: one Slack message, updated in place."""

    __tablename__ = "alert_incidents"
    __table_args__ = (
        Index("ix_alert_incidents_key", "platform", "topic", "kind", "opened_at"),
        # At most one firing incident per key, whatever runs the detector (two beats by
        # mistake): the second insert fails instead of posting a second headline.
        Index(
            "uq_alert_incidents_firing",
            "platform",
            "topic",
            "kind",
            unique=True,
            postgresql_where=text("status = 'firing'"),
            sqlite_where=text("status = 'firing'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(64), default=ALL_TOPICS)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    severity: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    last_active_at: Mapped[datetime]
    evaluated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    snoozed_until: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    figures: Mapped[dict[str, Any]]
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    slack_ts: Mapped[str | None] = mapped_column(String(32))


class Silence(Base):
    """Mute alerts matching a platform (and topic) until `ends_at`; None matches any."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class AlertMessage(Base):
    """One message to send (post, update, reply): written before the attempt (the outbox)."""

    __tablename__ = "alert_messages"
    __table_args__ = (
        Index("ix_alert_messages_status_next", "status", "next_attempt_at"),
        # The outbox sends an incident's messages in order: "an earlier one still pending?"
        Index("ix_alert_messages_incident_status", "incident_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alert_incidents.id"))
    action: Mapped[str] = mapped_column(String(16))  # post | update | reply
    transport: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
