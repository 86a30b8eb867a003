"""Tables of the review queue: users, API tokens, queue items and the append-only audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from moderation.models import Base, Comment, Decision, _enum


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class Verdict(enum.StrEnum):
    """What a moderator can do with an item."""

    APPROVE = "approve"
    REMOVE = "remove"
    ESCALATE = "escalate"
    SKIP = "skip"


class User(Base):
    """A person who logs in to review comments; passwords are argon2 hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # The pages' language this moderator chose (api/i18n.py); None: the browser's, else the
    # VIGIE_UI_LANGUAGE default.
    language: Mapped[str | None] = mapped_column(String(8))


class ApiToken(Base):
    """A per-client API token acting as a user; only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ReviewItem(Base):
    """A comment the machine sent to people; `rank_at` orders the queue (see priority.py)."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_status_rank", "status", "rank_at", "id"),
        Index("ix_review_items_fingerprint", "fingerprint", "status"),
        Index("ix_review_items_claimed_by", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    status: Mapped[ItemStatus] = mapped_column(
        _enum(ItemStatus, "item_status"), default=ItemStatus.OPEN
    )
    platform: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    priority: Mapped[float]
    queued_at: Mapped[datetime]
    rank_at: Mapped[datetime]
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None]
    verdict: Mapped[Verdict | None] = mapped_column(_enum(Verdict, "verdict"))
    verdict_reason: Mapped[str | None] = mapped_column(String(500))
    corrections: Mapped[list[str]] = mapped_column(JSON)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    comment: Mapped[Comment] = relationship()
    decision: Mapped[Decision] = relationship()
    claimer: Mapped[User | None] = relationship(foreign_keys=[claimed_by])
    decider: Mapped[User | None] = relationship(foreign_keys=[decided_by])


class AuditEntry(Base):
    """One recorded moderator action: who, when, what, and the item's state before it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[list[str]] = mapped_column(JSON)
    previous: Mapped[dict[str, Any]]
    via: Mapped[str] = mapped_column(String(16))


# The item page reads the author's history and the thread: index comments for both lookups.
Index("ix_comments_platform_author", Comment.platform, Comment.author_id)
Index("ix_comments_platform_thread", Comment.platform, Comment.thread_id, Comment.created_at)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("the audit log is append-only")
