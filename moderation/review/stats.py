"""Figures for the dashboard: queue size and age over time, decisions, corrections per rule.

"Overturned" here means the moderator corrected the model (ironic, not toxic, ...) or approved
an item the machine wanted escalated: the only machine calls moderators see are the ones it
sent to the queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from moderation.models import Action, Decision
from moderation.review.models import AuditEntry, ItemStatus, ReviewItem, Verdict

DECIDING = [v.value for v in Verdict if v is not Verdict.SKIP]


@dataclass(frozen=True)
class Point:
    label: str
    value: float


@dataclass(frozen=True)
class RuleFigures:
    rule: str
    decided: int
    removed: int
    overturned: int

    @property
    def overturned_share(self) -> float:
        return self.overturned / self.decided if self.decided else 0.0


def hours(now: datetime, count: int) -> list[datetime]:
    """The ends of the last `count` whole hours, oldest first, ending with `now`'s hour."""
    top = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return [top - timedelta(hours=count - 1 - n) for n in range(count)]


def queue_over_time(
    session: Session, now: datetime, count: int = 24
) -> tuple[list[Point], list[Point]]:
    """Queue size and oldest wait (minutes) at the end of each of the last `count` hours."""
    sizes, ages = [], []
    for end in hours(now, count):
        at = min(end, now)
        waiting = (ReviewItem.queued_at <= at) & or_(
            ReviewItem.decided_at.is_(None), ReviewItem.decided_at > at
        )
        size, oldest = session.execute(
            select(func.count(), func.min(ReviewItem.queued_at)).where(waiting)
        ).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=at.tzinfo)  # SQLite hands back naive values here
        label = end.strftime("%H:00")
        sizes.append(Point(label, int(size)))
        ages.append(Point(label, round((at - oldest).total_seconds() / 60) if oldest else 0))
    return sizes, ages


def decisions_per_hour(session: Session, now: datetime, count: int = 24) -> list[Point]:
    """Moderator decisions (skips excluded) in each of the last `count` hours."""
    ends = hours(now, count)
    start = ends[0] - timedelta(hours=1)
    stamps = session.scalars(
        select(AuditEntry.at).where(AuditEntry.at > start, AuditEntry.action.in_(DECIDING))
    )
    buckets = Counter(min(int((at - start).total_seconds() // 3600), count - 1) for at in stamps)
    # Labelled by the hour's start: "07:00" counts 07:00-07:59.
    return [
        Point((end - timedelta(hours=1)).strftime("%H:00"), buckets.get(n, 0))
        for n, end in enumerate(ends)
    ]


def decisions_per_platform(session: Session, since: datetime) -> list[Point]:
    rows = session.execute(
        select(ReviewItem.platform, func.count())
        .where(ReviewItem.status == ItemStatus.DECIDED, ReviewItem.decided_at > since)
        .group_by(ReviewItem.platform)
        .order_by(func.count().desc())
    )
    return [Point(platform, int(n)) for platform, n in rows]


def per_rule(session: Session, since: datetime) -> list[RuleFigures]:
    """For each rule that sent items: decided, removed, and overturned by moderators."""
    rows = session.execute(
        select(ReviewItem.reason, ReviewItem.verdict, ReviewItem.corrections, Decision.action)
        .join(Decision, Decision.id == ReviewItem.decision_id)
        .where(ReviewItem.status == ItemStatus.DECIDED, ReviewItem.decided_at > since)
    )
    figures: dict[str, list[int]] = {}
    for rule, verdict, corrections, action in rows:
        counts = figures.setdefault(rule, [0, 0, 0])
        counts[0] += 1
        counts[1] += verdict is Verdict.REMOVE
        overturned = bool(corrections) or (action is Action.ESCALATE and verdict is Verdict.APPROVE)
        counts[2] += overturned
    return sorted(
        (RuleFigures(rule, *counts) for rule, counts in figures.items()),
        key=lambda f: -f.decided,
    )
