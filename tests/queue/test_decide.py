"""Moderator decisions: compare-and-set, refusals, bulk, audit log and outbound callback."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from moderation.models import Delivery
from moderation.review import queue
from moderation.review.decide import Choice, ReviewConflict, decide
from moderation.review.models import (
    AuditEntry,
    AuditLogIsAppendOnly,
    ItemStatus,
    Verdict,
)
from tests.queue.conftest import NOW, add_item, add_user, later

HOOK = "http://127.0.0.1:9/hook"


def _urls(source: str) -> str | None:
    return HOOK if source == "acme" else None


def test_it_decides_an_item_the_moderator_holds(session: Session) -> None:
    """Remove with a reason and corrections: the item is decided and leaves the queue."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    choice = Choice(Verdict.REMOVE, "insult", ("toxic", "not_ironic"))
    decide(session, item.id, mia, choice, later(5), _urls)
    session.refresh(item)
    assert (item.status, item.verdict, item.decided_by) == (
        ItemStatus.DECIDED,
        Verdict.REMOVE,
        mia.id,
    )
    assert item.corrections == ["toxic", "not_ironic"]
    assert queue.open_items(session, queue.Filters()) == []


def test_it_refuses_a_decision_on_an_item_someone_else_decided(session: Session) -> None:
    """The second moderator is told who decided and what."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    decide(session, item.id, mia, Choice(Verdict.APPROVE), later(5), _urls)
    with pytest.raises(ReviewConflict) as raised:
        decide(session, item.id, noe, Choice(Verdict.REMOVE), later(6), _urls)
    assert raised.value.code == "already_decided"
    assert "mia already decided this item (approve)" in raised.value.message


def test_it_refuses_a_decision_after_the_claim_expired(session: Session) -> None:
    """A lease that ran out must be renewed before deciding."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    with pytest.raises(ReviewConflict) as raised:
        decide(session, item.id, mia, Choice(Verdict.REMOVE), later(301), _urls)
    assert raised.value.code == "claim_expired"


def test_it_refuses_a_decision_on_an_item_another_moderator_holds(session: Session) -> None:
    """Holding the claim is what allows deciding."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    with pytest.raises(ReviewConflict) as raised:
        decide(session, item.id, noe, Choice(Verdict.REMOVE), later(5), _urls)
    assert raised.value.code == "claimed_by_other"
    assert "mia is reviewing" in raised.value.message


def test_it_refuses_unknown_corrections(session: Session) -> None:
    """Corrections come from a fixed list the model can learn from."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    with pytest.raises(ReviewConflict) as raised:
        decide(session, item.id, mia, Choice(Verdict.REMOVE, None, ("rude",)), later(1), _urls)
    assert raised.value.code == "bad_correction"


def test_it_skips_by_releasing_the_item_further_down_the_queue(session: Session) -> None:
    """Skip keeps the item open, frees the claim and ranks it 15 minutes later."""
    mia = add_user(session, "mia")
    item = add_item(session)
    rank = item.rank_at
    queue.claim(session, item.id, mia.id, NOW, 300)
    decide(session, item.id, mia, Choice(Verdict.SKIP), later(1), _urls)
    session.refresh(item)
    assert item.status is ItemStatus.OPEN and item.claimed_by is None
    assert (item.rank_at - rank).total_seconds() == 15 * 60


def test_it_records_who_what_when_and_the_previous_state(session: Session) -> None:
    """Every decision writes an audit entry with the item's state before it."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    decide(session, item.id, mia, Choice(Verdict.ESCALATE, "threat", via="api"), later(5), _urls)
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.username, entry.action, entry.reason, entry.via) == (
        "mia",
        "escalate",
        "threat",
        "api",
    )
    assert entry.at == later(5)
    assert entry.previous["status"] == "open"
    assert entry.previous["claimed_by"] == mia.id
    assert entry.previous["machine_action"] == "review"


def test_it_refuses_to_change_an_audit_entry_through_the_orm(session: Session) -> None:
    """The application cannot edit or delete the audit log."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    decide(session, item.id, mia, Choice(Verdict.APPROVE), later(5), _urls)
    entry = session.scalars(select(AuditEntry)).one()
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()


def test_it_refuses_to_change_an_audit_entry_in_the_database(session: Session) -> None:
    """Even raw SQL cannot update or delete audit rows (a trigger refuses)."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    decide(session, item.id, mia, Choice(Verdict.APPROVE), later(5), _urls)
    session.commit()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="append-only"):
        session.execute(text("DELETE FROM audit_log"))


def test_it_pushes_the_moderator_decision_through_the_outbox(session: Session) -> None:
    """A 'moderator' delivery carries the verdict and the machine's action, no comment text."""
    mia = add_user(session, "mia")
    item = add_item(session, text="secret words")
    queue.claim(session, item.id, mia.id, NOW, 300)
    decided = decide(
        session, item.id, mia, Choice(Verdict.REMOVE, "insult", ("toxic",)), later(5), _urls
    )
    delivery = session.get(Delivery, decided.delivery_ids[0])
    assert (delivery.kind, delivery.url, delivery.source) == ("moderator", HOOK, "acme")
    assert delivery.payload["event"] == "moderator_decision"
    assert delivery.payload["decision"]["action"] == "remove"
    assert delivery.payload["decision"]["corrections"] == ["toxic"]
    assert delivery.payload["decision"]["machine"]["action"] == "review"
    assert "secret words" not in str(delivery.payload)


def test_it_sends_nothing_for_a_skip(session: Session) -> None:
    """Skipping is not a decision for the platform."""
    mia = add_user(session, "mia")
    item = add_item(session)
    queue.claim(session, item.id, mia.id, NOW, 300)
    assert decide(session, item.id, mia, Choice(Verdict.SKIP), later(5), _urls).delivery_ids == []


def test_it_bulk_decides_near_identical_comments(session: Session) -> None:
    """One decision with group=True covers a raid's copies, but not items others hold."""
    mia, noe = add_user(session, "mia"), add_user(session, "noe")
    lead = add_item(session, text="Boycott Acme NOW!!!")
    copy = add_item(session, text="boycott acme now")
    held = add_item(session, text="BOYCOTT ACME NOW")
    other = add_item(session, text="Acme is fine")
    queue.claim(session, lead.id, mia.id, NOW, 300)
    queue.claim(session, held.id, noe.id, NOW, 300)
    decided = decide(
        session, lead.id, mia, Choice(Verdict.REMOVE, "raid"), later(5), _urls, group=True
    )
    assert decided.item_ids == sorted([lead.id, copy.id])
    assert len(decided.delivery_ids) == 2
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.item_id)).all()
    assert [e.item_id for e in entries] == sorted([lead.id, copy.id])
    open_ids = {i.id for i in queue.open_items(session, queue.Filters())}
    assert open_ids == {held.id, other.id}
