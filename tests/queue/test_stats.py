"""Dashboard figures: queue size and age over time, decisions per hour and platform, per rule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from moderation.models import Action
from moderation.review import queue, stats
from moderation.review.decide import Choice, decide
from moderation.review.models import User, Verdict
from tests.queue.conftest import NOW, add_item, add_user


def _decide(session: Session, user: User, item_id: int, hours_ago: float, choice: Choice) -> None:
    at = NOW - timedelta(hours=hours_ago)
    queue.claim(session, item_id, user.id, at, 300)
    decide(session, item_id, user, choice, at, lambda _s: None)


def test_it_tracks_queue_size_and_oldest_wait_per_hour(session: Session) -> None:
    """An item queued 3 h ago and decided 1 h ago counts in the hours in between only."""
    mia = add_user(session, "mia")
    old = add_item(session, at=NOW - timedelta(hours=3, minutes=30))
    add_item(session, at=NOW - timedelta(minutes=10))
    _decide(session, mia, old.id, 1.5, Choice(Verdict.REMOVE))
    sizes, ages = stats.queue_over_time(session, NOW, count=5)
    # Hours end at 05:00, 06:00, 07:00, 08:00 and 09:00 (capped at NOW = 08:00).
    assert [p.value for p in sizes] == [1, 1, 0, 1, 1]
    assert ages[0].value == 30 and ages[1].value == 90
    assert ages[-1].value == 10


def test_it_counts_decisions_per_hour_without_skips(session: Session) -> None:
    """Skips are not decisions; each decision lands in its hour."""
    mia = add_user(session, "mia")
    a, b, c = (add_item(session, at=NOW - timedelta(hours=5)) for _ in range(3))
    _decide(session, mia, a.id, 2.5, Choice(Verdict.APPROVE))
    _decide(session, mia, b.id, 0.5, Choice(Verdict.REMOVE))
    _decide(session, mia, c.id, 0.4, Choice(Verdict.SKIP))
    points = stats.decisions_per_hour(session, NOW, count=4)
    assert [(p.label, p.value) for p in points] == [
        ("05:00", 1),
        ("06:00", 0),
        ("07:00", 1),
        ("08:00", 0),
    ]


def test_it_shares_overturned_calls_per_rule(session: Session) -> None:
    """Corrections and approving an escalation count as overturning the machine."""
    mia = add_user(session, "mia")
    corrected = add_item(session, at=NOW - timedelta(hours=2))
    escalated = add_item(session, action=Action.ESCALATE, at=NOW - timedelta(hours=2))
    agreed = add_item(session, at=NOW - timedelta(hours=2), platform="youtube")
    _decide(session, mia, corrected.id, 1, Choice(Verdict.APPROVE, None, ("not_toxic",)))
    _decide(session, mia, escalated.id, 1, Choice(Verdict.APPROVE))
    _decide(session, mia, agreed.id, 1, Choice(Verdict.REMOVE))
    (rule,) = stats.per_rule(session, NOW - timedelta(hours=24))
    assert (rule.rule, rule.decided, rule.removed, rule.overturned) == ("irony-uncertain", 3, 1, 2)
    platforms = stats.decisions_per_platform(session, NOW - timedelta(hours=24))
    assert [(p.label, p.value) for p in platforms] == [("x", 2), ("youtube", 1)]
