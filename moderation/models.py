"""Database models: comments, the machine's decisions, and outbound deliveries."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORMS = ("facebook", "instagram", "x", "tiktok", "youtube", "linkedin", "web")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}  # noqa: RUF012


class Action(enum.StrEnum):
    APPROVE = "approve"
    REMOVE = "remove"
    REVIEW = "review"
    ESCALATE = "escalate"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    DECIDED = "decided"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store by value ("approve"), not by Python member name; no native PG enum to migrate.
    return Enum(
        cls,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        length=16,
    )


class Comment(Base):
    """A comment as received, stored once per (platform, external_id)."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_comments_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    thread_id: Mapped[str | None] = mapped_column(String(128))
    parent_external_id: Mapped[str | None] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(128))
    author_handle: Mapped[str | None] = mapped_column(String(128))
    author_account_age_days: Mapped[int | None]
    author_followers: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    enqueued_at: Mapped[datetime | None]
    status: Mapped[CommentStatus] = mapped_column(
        _enum(CommentStatus, "comment_status"), default=CommentStatus.PENDING
    )

    decision: Mapped[Decision | None] = relationship(back_populates="comment", uselist=False)


class Decision(Base):
    """The machine's decision for a comment: one per comment, never rewritten."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    action: Mapped[Action] = mapped_column(_enum(Action, "action"))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    # The matching rules' tags, and the queue priority the rules asked for (low, normal, high,
    # urgent; None for approve and remove). Decisions stored before 0004 have [] and None.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    review_priority: Mapped[str | None] = mapped_column(String(16))
    scores: Mapped[dict[str, Any]]
    model_version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime]

    comment: Mapped[Comment] = relationship(back_populates="decision")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="decision")


class Delivery(Base):
    """One outbound callback for a decision: written before the first attempt (the outbox)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("decision_id", "kind"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    kind: Mapped[str] = mapped_column(String(32), default="machine")
    source: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[dict[str, Any]]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    decision: Mapped[Decision] = relationship(back_populates="deliveries")
