"""Queueing machine decisions, ordering the queue and claiming items with leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from moderation.models import Action
from moderation.review import queue
from moderation.review.priority import priority
from tests.queue.conftest import NOW, add_item, add_user, later


def test_it_queues_review_and_escalate_but_not_approve(session: Session) -> None:
    """Only decisions the machine is unsure of (review, escalate) become queue items."""
    add_item(session, action=Action.REVIEW)
    add_item(session, action=Action.ESCALATE)
    from moderation.models import Comment, Decision

    comment = session.get(Comment, add_item(session).comment_id)
    approve = Decision(
        comment_id=comment.id,
        action=Action.APPROVE,
        reasons=[],
        rule_ids=[],
        scores={},
        model_version="t",
        rules_version="t",
        decided_at=NOW,
    )
    assert queue.enqueue(session, comment, approve, NOW) is None
    assert len(queue.open_items(session, queue.Filters())) == 3


def test_it_ranks_severe_far_reaching_uncertain_items_as_if_they_waited_longer() -> None:
    """The boost adds 60 min of severity, 30 of reach and 30 of uncertainty."""
    calm = priority("review", {"toxicity": 0.0, "confidence": 1.0}, 0)
    worst = priority("escalate", {"toxicity": 1.0, "confidence": 0.0}, 1_000_000)
    assert calm.boost_minutes == 0
    assert worst.boost_minutes == 60 * 2 + 30 + 30
    assert worst.rank_at(NOW) == NOW - timedelta(minutes=180)


@pytest.mark.parametrize(
    ("review_priority", "minutes"),
    [("low", -30), ("normal", 0), (None, 0), ("high", 30), ("urgent", 60)],
)
def test_it_adds_the_rules_review_priority_to_the_boost(
    review_priority: str | None, minutes: float
) -> None:
    """A rule's queue priority moves the item by a fixed number of minutes; none is normal."""
    scores = {"toxicity": 0.5, "confidence": 0.5}
    base = priority("review", scores, 100)
    parts = priority("review", scores, 100, review_priority)
    assert parts.boost_minutes - base.boost_minutes == minutes


def test_it_ranks_items_by_the_rules_review_priority(session: Session) -> None:
    """With the same scores, high outranks normal, and low waits behind a newer normal item."""
    low = add_item(session, at=NOW - timedelta(minutes=20), review_priority="low")
    normal = add_item(session, at=NOW, review_priority="normal")
    high = add_item(session, at=NOW, review_priority="high")
    ids = [i.id for i in queue.open_items(session, queue.Filters())]
    assert ids == [high.id, normal.id, low.id]


def test_it_tags_items_with_the_rules_tags(session: Session) -> None:
    """An item carries the machine's action, the rules' tags and the score labels, once each."""
    item = add_item(session, rule_tags=["threat", "toxic"])
    assert item.tags == ["review", "threat", "toxic", "ironic", "negative"]


def test_it_filters_by_a_rule_tag(session: Session) -> None:
    """The tag filter finds items by a tag their rules added, and only whole tags."""
    spam = add_item(session, rule_tags=["spam"])
    suspect = add_item(session, rule_tags=["spam-suspect"])
    add_item(session)
    assert [i.id for i in queue.open_items(session, queue.Filters(tag="spam"))] == [spam.id]
    assert [i.id for i in queue.open_items(session, queue.Filters(tag="spam-suspect"))] == [
        suspect.id
    ]
    assert queue.open_items(session, queue.Filters(tag="spam-")) == []


def test_it_filters_by_tags_with_wildcards_and_accents_literally(session: Session) -> None:
    """`_` and `%` are not LIKE wildcards in a tag filter; accented tags match as written."""
    hate = add_item(session, rule_tags=["hate_speech"])
    add_item(session, rule_tags=["hatexspeech"])
    menace = add_item(session, rule_tags=["menace-armée"])
    assert [i.id for i in queue.open_items(session, queue.Filters(tag="hate_speech"))] == [hate.id]
    assert queue.open_items(session, queue.Filters(tag="%")) == []
    assert [i.id for i in queue.open_items(session, queue.Filters(tag="menace-armée"))] == [
        menace.id
    ]
    assert queue.counts(session, queue.Filters(tag="menace-armée"), NOW).open == 1


def test_it_orders_by_priority_then_waiting_time(session: Session) -> None:
    """An escalation outranks a review queued a little earlier; waiting time breaks ties."""
    old = add_item(session, at=NOW - timedelta(minutes=5))
    urgent = add_item(session, action=Action.ESCALATE, at=NOW)
    older = add_item(session, at=NOW - timedelta(minutes=10))
    ids = [i.id for i in queue.open_items(session, queue.Filters())]
    assert ids == [urgent.id, older.id, old.id]


def test_it_filters_by_platform_language_reason_and_tag(session: Session) -> None:
    """Each filter narrows the list to matching items."""
    fr = add_item(session, platform="x", language="fr")
    en = add_item(session, platform="youtube", language="en")
    assert [i.id for i in queue.open_items(session, queue.Filters(platform="youtube"))] == [en.id]
    assert [i.id for i in queue.open_items(session, queue.Filters(language="fr"))] == [fr.id]
    assert len(queue.open_items(session, queue.Filters(reason="irony-uncertain"))) == 2
    assert queue.open_items(session, queue.Filters(reason="other")) == []
    assert len(queue.open_items(session, queue.Filters(tag="ironic"))) == 2
    assert queue.open_items(session, queue.Filters(tag="raid")) == []


def test_it_counts_open_and_claimed_items_and_the_oldest_wait(session: Session) -> None:
    """Counts show what waits, what is held now, and since when the oldest item waits."""
    user = add_user(session, "mia")
    first = add_item(session, at=NOW - timedelta(minutes=30))
    add_item(session)
    queue.claim(session, first.id, user.id, NOW, 300)
    found = queue.counts(session, queue.Filters(), NOW)
    assert (found.open, found.claimed) == (2, 1)
    assert found.oldest_queued_at == NOW - timedelta(minutes=30)


def test_it_never_gives_a_claimed_item_to_someone_else(session: Session) -> None:
    """A live claim by one moderator blocks another's claim on the same item."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    item = add_item(session)
    assert queue.claim(session, item.id, mia.id, NOW, 300) is not None
    assert queue.claim(session, item.id, noe.id, later(10), 300) is None


def test_it_returns_an_expired_claim_to_the_queue(session: Session) -> None:
    """Once the lease runs out, another moderator can claim the item."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    taken = queue.claim(session, item.id, noe.id, later(301), 300)
    assert taken is not None and taken.claimed_by == noe.id


def test_it_claims_the_next_items_in_order_for_different_moderators(session: Session) -> None:
    """claim_next hands out distinct items, highest priority first, and renews one's own."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    a = add_item(session, at=NOW - timedelta(minutes=2))
    b = add_item(session, at=NOW - timedelta(minutes=1))
    assert queue.claim_next(session, mia.id, NOW, 300).id == a.id
    assert queue.claim_next(session, noe.id, NOW, 300).id == b.id
    assert queue.claim_next(session, mia.id, later(5), 300).id == a.id
    assert queue.claim_next(session, add_user(session, "zoe").id, NOW, 300) is None


def test_it_groups_near_identical_texts_under_one_fingerprint() -> None:
    """Case, accents, punctuation, links and mentions do not split a raid's copies."""
    a = queue.fingerprint("Boycott @Acme NOW!!! https://t.co/x1")
    b = queue.fingerprint("boycott   @friend now https://t.co/other")
    assert a == b
    assert a != queue.fingerprint("Boycott Acme tomorrow")
