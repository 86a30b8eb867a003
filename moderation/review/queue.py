"""Putting machine decisions in the queue, reading it, and claiming items with leases.

A claim is a lease stored on the item (`claimed_by`, `claim_expires_at`), taken with one
compare-and-set UPDATE: two moderators never hold the same item, and an expired lease makes
the item claimable again without any clean-up job.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, String, cast, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from moderation.models import Action, Comment, Decision
from moderation.review.models import ItemStatus, ReviewItem
from moderation.review.priority import priority

QUEUED_ACTIONS = (Action.REVIEW, Action.ESCALATE)
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"[@#]\w+")
_NON_WORD = re.compile(r"[\W_]+")


def fingerprint(text: str) -> str:
    """Same value for near-identical comments: case, accents, links, mentions, punctuation ignored."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NON_WORD.sub(" ", _MENTION.sub(" ", _URL.sub(" ", text))).strip()
    return hashlib.sha256(text.encode()).hexdigest()


def enqueue(
    session: Session,
    comment: Comment,
    decision: Decision,
    now: datetime,
    topics: Sequence[str] = (),
) -> ReviewItem | None:
    """Queue a decision for people when the machine said review or escalate.

    `topics` are the watched alert topics the comment belongs to; each becomes a `topic:NAME`
    tag, which is how an alert incident on a topic narrows the queue to that topic.
    """
    if decision.action not in QUEUED_ACTIONS:
        return None
    parts = priority(
        str(decision.action), decision.scores, comment.author_followers, decision.review_priority
    )
    item = ReviewItem(
        comment_id=comment.id,
        decision_id=decision.id,
        status=ItemStatus.OPEN,
        platform=comment.platform,
        language=comment.language or decision.scores.get("language"),
        reason=(decision.rule_ids or ["unknown"])[0][:64],
        tags=[*tags(decision), *(topic_tag(t) for t in topics)],
        fingerprint=fingerprint(comment.text),
        priority=round(parts.boost_minutes, 2),
        queued_at=now,
        rank_at=parts.rank_at(now),
        corrections=[],
    )
    session.add(item)
    return item


SCORE_TAGS = ("ironic", "toxic", "negative")
TOPIC_TAG = "topic:"


def topic_tag(topic: str) -> str:
    """The review item tag of a watched alert topic (VIGIE_ALERT_TOPICS)."""
    return TOPIC_TAG + topic


def tags(decision: Decision) -> list[str]:
    """Labels a moderator filters on: the machine's action, the rules' tags, what scores suggest."""
    scores = decision.scores
    found = [str(decision.action), *(decision.tags or [])]
    if float(scores.get("irony", 0)) >= 0.5:
        found.append("ironic")
    if float(scores.get("toxicity", 0)) >= 0.5:
        found.append("toxic")
    if str(scores.get("sentiment", "")) == "negative":
        found.append("negative")
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Filters:
    platform: str | None = None
    language: str | None = None
    reason: str | None = None
    tag: str | None = None
    topic: str | None = None  # a watched alert topic: items tagged `topic:NAME`
    since: datetime | None = None  # queued at or after (an incident's window)
    until: datetime | None = None  # queued before


def _filtered(query: Select, filters: Filters) -> Select:  # type: ignore[type-arg]
    if filters.platform:
        query = query.where(ReviewItem.platform == filters.platform)
    if filters.language:
        # Sources send "fr", "FR" or "fr-FR" alike; the filter is typed by hand.
        query = query.where(func.lower(ReviewItem.language) == filters.language.lower())
    if filters.reason:
        query = query.where(ReviewItem.reason == filters.reason)
    for tag in (filters.tag, filters.topic and topic_tag(filters.topic)):
        if tag:
            # Tags are a short JSON list stored as text (json, not jsonb, on PostgreSQL): look for
            # the tag as its JSON string, encoded as it was stored (non-ASCII escaped, quotes and
            # backslashes too), with LIKE's own wildcards (`_`, `%`) escaped.
            needle = json.dumps(tag)
            query = query.where(cast(ReviewItem.tags, String).contains(needle, autoescape=True))
    if filters.since is not None:
        query = query.where(ReviewItem.queued_at >= filters.since)
    if filters.until is not None:
        query = query.where(ReviewItem.queued_at < filters.until)
    return query


def _available(now: datetime):  # type: ignore[no-untyped-def]
    return or_(ReviewItem.claim_expires_at.is_(None), ReviewItem.claim_expires_at <= now)


def open_items(
    session: Session, filters: Filters, limit: int = 50, offset: int = 0
) -> list[ReviewItem]:
    """Open items in priority order (claimed ones included: the page shows who holds them)."""
    query = (
        select(ReviewItem)
        .where(ReviewItem.status == ItemStatus.OPEN)
        # One query per relation for the whole page, not three per item.
        .options(
            joinedload(ReviewItem.comment),
            joinedload(ReviewItem.decision),
            joinedload(ReviewItem.claimer),
        )
    )
    query = _filtered(query, filters).order_by(ReviewItem.rank_at, ReviewItem.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


@dataclass(frozen=True)
class Counts:
    open: int
    claimed: int
    oldest_queued_at: datetime | None


def counts(session: Session, filters: Filters, now: datetime) -> Counts:
    """How many items wait, how many are held right now, and since when the oldest waits."""
    query = select(
        func.count(),
        func.count().filter(ReviewItem.claim_expires_at > now),
        func.min(ReviewItem.queued_at),
    ).where(ReviewItem.status == ItemStatus.OPEN)
    total, claimed, oldest = session.execute(_filtered(query, filters)).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # func.min bypasses the column type on SQLite
    return Counts(int(total), int(claimed), oldest)


def claim(
    session: Session, item_id: int, user_id: int, now: datetime, lease_s: float
) -> ReviewItem | None:
    """Take or renew the lease on one item; None if it is decided or someone else holds it."""
    result = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            ReviewItem.status == ItemStatus.OPEN,
            or_(_available(now), ReviewItem.claimed_by == user_id),
        )
        .values(claimed_by=user_id, claim_expires_at=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(ReviewItem, item_id, populate_existing=True)


def claim_next(
    session: Session,
    user_id: int,
    now: datetime,
    lease_s: float,
    filters: Filters = Filters(),
    tries: int = 5,
) -> ReviewItem | None:
    """Claim the first available item in priority order (the one the user holds first)."""
    held = session.scalars(
        _filtered(select(ReviewItem.id), filters)
        .where(
            ReviewItem.status == ItemStatus.OPEN,
            ReviewItem.claimed_by == user_id,
            ReviewItem.claim_expires_at > now,
        )
        .order_by(ReviewItem.rank_at, ReviewItem.id)
        .limit(1)
    ).first()
    if held is not None:
        return claim(session, held, user_id, now, lease_s)
    for _ in range(tries):
        candidates = session.scalars(
            _filtered(select(ReviewItem.id), filters)
            .where(ReviewItem.status == ItemStatus.OPEN, _available(now))
            .order_by(ReviewItem.rank_at, ReviewItem.id)
            .limit(10)
        ).all()
        if not candidates:
            return None
        for item_id in candidates:
            # Each attempt is a compare-and-set: losing a race just moves on to the next id.
            item = claim(session, item_id, user_id, now, lease_s)
            if item is not None:
                return item
    return None


def release(session: Session, item_id: int, user_id: int) -> bool:
    """Give back a lease the user holds (e.g. when leaving the item)."""
    result = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.claimed_by == user_id)
        .values(claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_others(session: Session, user_id: int, keep_id: int) -> None:
    """Give back every other item the user holds: a moderator works on one item at a time."""
    session.execute(
        update(ReviewItem)
        .where(ReviewItem.claimed_by == user_id, ReviewItem.id != keep_id)
        .values(claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def neighbours(
    session: Session, item: ReviewItem, filters: Filters
) -> tuple[int | None, int | None]:
    """The open items just before and after this one in queue order (for k / j)."""
    base = _filtered(select(ReviewItem.id), filters).where(
        ReviewItem.status == ItemStatus.OPEN, ReviewItem.id != item.id
    )
    key = (ReviewItem.rank_at, ReviewItem.id)
    before = session.scalars(
        base.where(or_(key[0] < item.rank_at, (key[0] == item.rank_at) & (key[1] < item.id)))
        .order_by(ReviewItem.rank_at.desc(), ReviewItem.id.desc())
        .limit(1)
    ).first()
    after = session.scalars(
        base.where(or_(key[0] > item.rank_at, (key[0] == item.rank_at) & (key[1] > item.id)))
        .order_by(ReviewItem.rank_at, ReviewItem.id)
        .limit(1)
    ).first()
    return before, after


def group_size(session: Session, item: ReviewItem) -> int:
    """How many other open items share this item's text fingerprint (a raid's copies)."""
    return int(
        session.scalar(
            select(func.count()).where(
                ReviewItem.fingerprint == item.fingerprint,
                ReviewItem.status == ItemStatus.OPEN,
                ReviewItem.id != item.id,
            )
        )
        or 0
    )
