"""Data retention: blank what people wrote, and who they are, once it is N days old.

Decisions (action, reasons, rule ids, numeric scores, versions), review outcomes, the audit log
and alert counts stay, so figures and appeals keep working; only the comment's text, the
author's handle and the words stored to explain a score are removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from moderation.models import Comment, CommentStatus, Decision
from moderation.review.models import ItemStatus, ReviewItem

EXPLANATION_KEYS = ("spans",)  # explanation spans quote the comment's words (Scores.spans)


def purge_batch(session: Session, received_before: datetime, limit: int = 1000) -> int:
    """Blank up to `limit` decided comments received before the cutoff; return how many.

    Pending comments (not yet scored) and comments still open in the review queue are kept
    until they are decided: blanking them would decide, or show a moderator, an empty text.
    The caller commits; call again until it returns 0.
    """
    open_item = exists().where(
        ReviewItem.comment_id == Comment.id, ReviewItem.status == ItemStatus.OPEN
    )
    ids = list(
        session.scalars(
            select(Comment.id)
            .where(
                Comment.received_at < received_before,
                Comment.status == CommentStatus.DECIDED,
                or_(Comment.text != "", Comment.author_handle.is_not(None)),
                ~open_item,
            )
            .order_by(Comment.id)
            .limit(limit)
        )
    )
    if not ids:
        return 0
    session.execute(update(Comment).where(Comment.id.in_(ids)).values(text="", author_handle=None))
    for decision in session.scalars(select(Decision).where(Decision.comment_id.in_(ids))):
        if any(key in decision.scores for key in EXPLANATION_KEYS):
            kept = {k: v for k, v in decision.scores.items() if k not in EXPLANATION_KEYS}
            decision.scores = kept
    session.flush()
    return len(ids)


def purge(sessions: sessionmaker[Session], days: int, now: datetime, batch: int = 1000) -> int:
    """Blank every decided comment older than `days`, one transaction per batch; return the count."""
    cutoff = now - timedelta(days=days)
    total = 0
    while True:
        with sessions.begin() as session:
            done = purge_batch(session, cutoff, batch)
        total += done
        if done < batch:
            return total
