"""A moderator's decision on an item: compare-and-set, audited, pushed out through the outbox.

Deciding needs a live claim held by the moderator. The item moves from open to decided with one
conditional UPDATE; when it matches no row, `explain` says why (someone else decided it, the
claim expired, someone else holds it) so the page and the API can say so clearly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from moderation.delivery import outbox
from moderation.models import Delivery
from moderation.review.models import AuditEntry, ItemStatus, ReviewItem, User, Verdict

CORRECTIONS = ("ironic", "not_ironic", "toxic", "not_toxic", "spam", "wrong_language")
# A skipped item goes back to the queue as if it had arrived this much later.
SKIP_DELAY = timedelta(minutes=15)
DELIVERED_VERDICTS = (Verdict.APPROVE, Verdict.REMOVE, Verdict.ESCALATE)


class ReviewConflict(Exception):
    """The decision cannot be applied; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str, **facts: Any) -> None:
        super().__init__(message)
        # facts: what the message says (who, when, verdict), for pages that say it in another
        # language (api/words.py).
        self.code, self.message, self.facts = code, message, facts


@dataclass(frozen=True)
class Choice:
    verdict: Verdict
    reason: str | None = None
    corrections: Sequence[str] = field(default_factory=tuple)
    via: str = "web"


@dataclass(frozen=True)
class Decided:
    item_ids: list[int]
    delivery_ids: list[int]


def validate(choice: Choice) -> None:
    unknown = sorted(set(choice.corrections) - set(CORRECTIONS))
    if unknown:
        raise ReviewConflict("bad_correction", f"unknown corrections {unknown}; use {CORRECTIONS}")
    if choice.reason is not None and len(choice.reason) > 500:
        raise ReviewConflict("bad_reason", "reason is limited to 500 characters")
    if choice.reason is not None and not _storable(choice.reason):
        raise ReviewConflict("bad_reason", "reason must not contain NUL or lone surrogates")


def _storable(text: str) -> bool:
    # PostgreSQL text cannot hold NUL; a lone surrogate ("\ud800" in JSON) cannot be encoded.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def decide(
    session: Session,
    item_id: int,
    user: User,
    choice: Choice,
    now: datetime,
    callback_url: Callable[[str], str | None],
    group: bool = False,
) -> Decided:
    """Apply a moderator's choice to an item they hold (and, with `group`, its near-duplicates)."""
    validate(choice)
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ReviewConflict("not_found", f"no review item {item_id}")
    previous = _state(item)
    if choice.verdict is Verdict.SKIP:
        _skip(session, item, user, now)
        _audit(session, item, user, choice, previous, now)
        return Decided([item_id], [])
    if not _take(session, [item_id], user, choice, now, holder_only=True):
        raise explain(session, item_id, user, now)
    ids = [item_id]
    if group:
        others = _group_ids(session, item)
        ids += _take(session, others, user, choice, now, holder_only=False)
    deliveries = []
    decided_items = session.scalars(
        select(ReviewItem)
        .where(ReviewItem.id.in_(ids))
        .options(joinedload(ReviewItem.comment), joinedload(ReviewItem.decision))
        .execution_options(populate_existing=True)
    )
    for decided in decided_items:
        _audit(session, decided, user, choice, previous if decided.id == item_id else None, now)
        delivery = _queue_callback(session, decided, user, callback_url, now)
        if delivery is not None:
            deliveries.append(delivery)
    session.flush()
    return Decided(sorted(ids), [d.id for d in deliveries])


def _take(
    session: Session,
    ids: Sequence[int],
    user: User,
    choice: Choice,
    now: datetime,
    holder_only: bool,
) -> list[int]:
    """Compare-and-set open → decided; returns the ids this call moved."""
    if not ids:
        return []
    held_by_user = (ReviewItem.claimed_by == user.id) & (ReviewItem.claim_expires_at > now)
    free = or_(ReviewItem.claim_expires_at.is_(None), ReviewItem.claim_expires_at <= now)
    result = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id.in_(ids),
            ReviewItem.status == ItemStatus.OPEN,
            held_by_user if holder_only else or_(held_by_user, free),
        )
        .values(
            status=ItemStatus.DECIDED,
            verdict=choice.verdict,
            verdict_reason=choice.reason,
            corrections=list(choice.corrections),
            decided_by=user.id,
            decided_at=now,
            claimed_by=None,
            claim_expires_at=None,
        )
        .returning(ReviewItem.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def _skip(session: Session, item: ReviewItem, user: User, now: datetime) -> None:
    result = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item.id,
            ReviewItem.status == ItemStatus.OPEN,
            ReviewItem.claimed_by == user.id,
            ReviewItem.claim_expires_at > now,
        )
        .values(claimed_by=None, claim_expires_at=None, rank_at=item.rank_at + SKIP_DELAY)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise explain(session, item.id, user, now)
    session.refresh(item)


def _group_ids(session: Session, item: ReviewItem) -> list[int]:
    return list(
        session.scalars(
            select(ReviewItem.id).where(
                ReviewItem.fingerprint == item.fingerprint,
                ReviewItem.status == ItemStatus.OPEN,
                ReviewItem.id != item.id,
            )
        )
    )


def explain(session: Session, item_id: int, user: User, now: datetime) -> ReviewConflict:
    """Why a compare-and-set on this item matched nothing, in words a moderator understands."""
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        return ReviewConflict("not_found", f"no review item {item_id}")
    if item.status is ItemStatus.DECIDED:
        who = item.decider.username if item.decider else "someone"
        when = item.decided_at.strftime("%H:%M:%S UTC") if item.decided_at else "earlier"
        return ReviewConflict(
            "already_decided",
            f"{who} already decided this item ({item.verdict}) at {when}",
            who=item.decider.username if item.decider else None,
            verdict=str(item.verdict),
            at=item.decided_at,
        )
    if item.claimed_by == user.id:
        return ReviewConflict("claim_expired", "your claim on this item expired; open it again")
    if item.claimed_by is not None and item.claim_expires_at and item.claim_expires_at > now:
        who = item.claimer.username if item.claimer else "someone"
        return ReviewConflict(
            "claimed_by_other",
            f"{who} is reviewing this item",
            who=item.claimer.username if item.claimer else None,
        )
    return ReviewConflict("not_claimed", "claim the item before deciding it")


def _state(item: ReviewItem) -> dict[str, Any]:
    return {
        "status": str(item.status),
        "verdict": str(item.verdict) if item.verdict else None,
        "claimed_by": item.claimed_by,
        "claim_expires_at": item.claim_expires_at.isoformat() if item.claim_expires_at else None,
        "machine_action": str(item.decision.action),
        "rule_ids": list(item.decision.rule_ids),
    }


def _audit(
    session: Session,
    item: ReviewItem,
    user: User,
    choice: Choice,
    previous: dict[str, Any] | None,
    now: datetime,
) -> None:
    if previous is None:  # a near-duplicate decided along with the item the user held
        previous = {**_state(item), "status": "open", "verdict": None, "group_of": True}
    session.add(
        AuditEntry(
            at=now,
            user_id=user.id,
            username=user.username,
            item_id=item.id,
            comment_id=item.comment_id,
            action=str(choice.verdict),
            reason=choice.reason,
            corrections=list(choice.corrections),
            previous=previous,
            via=choice.via,
        )
    )


def moderator_payload(item: ReviewItem, user: User) -> dict[str, Any]:
    """The callback body for a moderator's decision (no comment text, no moderator name)."""
    comment = item.comment
    return {
        "event": "moderator_decision",
        "platform": comment.platform,
        "external_id": comment.external_id,
        "thread_id": comment.thread_id,
        "decision": {
            "action": str(item.verdict),
            "reason": item.verdict_reason,
            "corrections": list(item.corrections),
            "moderator_id": user.id,
            "decided_at": item.decided_at.isoformat() if item.decided_at else None,
            "machine": {
                "action": str(item.decision.action),
                "rule_ids": item.decision.rule_ids,
                "tags": item.decision.tags,
            },
        },
    }


def _queue_callback(
    session: Session,
    item: ReviewItem,
    user: User,
    callback_url: Callable[[str], str | None],
    now: datetime,
) -> Delivery | None:
    url = callback_url(item.comment.source)
    if not url or item.verdict not in DELIVERED_VERDICTS:
        return None
    return outbox(
        session,
        item.decision_id,
        "moderator",
        item.comment.source,
        url,
        moderator_payload(item, user),
        now,
    )
