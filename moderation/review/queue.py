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

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from moderation.models import Action, Comment, Decision
from moderation.review.models import ItemStatus, ReviewItem
from moderation.review.priority import priority
from rules.model import TOPIC_TAG

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
    return page(session, filters, limit, offset=offset).items


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """A place in the queue's order (`rank_at`, `id`): the item a page starts after or before.

    Written `<rank_at in microseconds since 1970>.<id>` in addresses (`?after=` / `?before=`).
    """

    rank_at: datetime
    id: int

    @classmethod
    def of(cls, item: ReviewItem) -> Cursor:
        return cls(item.rank_at, item.id)

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """The cursor written in `token`; ValueError when it is not one."""
        micros, sep, item_id = token.partition(".")
        digits = micros.removeprefix("-")
        if not (sep and digits and item_id) or not (
            digits.isascii() and digits.isdigit() and item_id.isascii() and item_id.isdigit()
        ):
            raise ValueError("not a cursor")
        if len(digits) > 17 or len(item_id) > 10 or not 0 < int(item_id) < 2**31:
            raise ValueError("out of range")
        try:
            return cls(EPOCH + int(micros) * _MICRO, int(item_id))
        except OverflowError:
            raise ValueError("out of range") from None

    def token(self) -> str:
        rank_at = self.rank_at if self.rank_at.tzinfo else self.rank_at.replace(tzinfo=UTC)
        return f"{(rank_at - EPOCH) // _MICRO}.{self.id}"


def _after(cursor: Cursor) -> ColumnElement[bool]:
    return or_(
        ReviewItem.rank_at > cursor.rank_at,
        and_(ReviewItem.rank_at == cursor.rank_at, ReviewItem.id > cursor.id),
    )


def _before(cursor: Cursor) -> ColumnElement[bool]:
    return or_(
        ReviewItem.rank_at < cursor.rank_at,
        and_(ReviewItem.rank_at == cursor.rank_at, ReviewItem.id < cursor.id),
    )


@dataclass(frozen=True)
class Page:
    items: list[ReviewItem]
    position: int  # open items (with the filters) before the first one shown
    previous: Cursor | None  # `before=` for the page above; None on the first page
    next: Cursor | None  # `after=` for the page below; None on the last page


def page(
    session: Session,
    filters: Filters,
    size: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
    offset: int = 0,
) -> Page:
    """One page of open items in priority order, starting after `after` (or ending before
    `before`; or, for the JSON API's older callers, `offset` items from the top).

    Keyset paging (a cursor on the queue's own order, `rank_at, id`), not page numbers: while a
    moderator reads page 2, colleagues decide items of page 1 and new urgent items rank above
    it. With `?page=2` as an offset, every item decided above would shift an unseen item from
    page 2 up to page 1 (skipped by "Next"), and every urgent arrival would show an item twice.
    A cursor names the last item seen: "Next" shows what ranks after it, whatever changed
    above. (A skipped item moves down the order, so it may show again further on: it did move.)
    """
    base = _filtered(
        select(ReviewItem)
        .where(ReviewItem.status == ItemStatus.OPEN)
        # One query per relation for the whole page, not three per item.
        .options(
            joinedload(ReviewItem.comment),
            joinedload(ReviewItem.decision),
            joinedload(ReviewItem.claimer),
        ),
        filters,
    )
    ascending = (ReviewItem.rank_at, ReviewItem.id)
    rows: list[ReviewItem] | None = None
    if before is not None:
        found = list(
            session.scalars(
                base.where(_before(before))
                .order_by(ReviewItem.rank_at.desc(), ReviewItem.id.desc())
                .limit(size)
            )
        )
        # Fewer than a page above the cursor (items decided meanwhile): that is the first page,
        # shown full from the top rather than short.
        rows = found[::-1] if len(found) == size else None
    if rows is None:
        query = base if after is None or before is not None else base.where(_after(after))
        if before is None and after is None and offset:
            query = query.offset(offset)
        rows = list(session.scalars(query.order_by(*ascending).limit(size)))
    counted = _filtered(
        select(func.count()).select_from(ReviewItem).where(ReviewItem.status == ItemStatus.OPEN),
        filters,
    )
    if rows:
        position = int(session.scalar(counted.where(_before(Cursor.of(rows[0])))) or 0)
        more = session.scalar(
            _filtered(select(ReviewItem.id), filters)
            .where(ReviewItem.status == ItemStatus.OPEN, _after(Cursor.of(rows[-1])))
            .limit(1)
        )
    else:  # past the end: everything after the cursor was decided
        position = int(session.scalar(counted) or 0) if (after or offset) else 0
        more = None
    return Page(
        items=rows,
        position=position,
        previous=Cursor.of(rows[0]) if rows and position else None,
        next=Cursor.of(rows[-1]) if more is not None else None,
    )


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
