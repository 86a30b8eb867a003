"""Outbound decision callbacks: signed, retried with backoff, never silently dropped."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import delivery
from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Comment, Delivery, DeliveryStatus
from moderation.moderate import moderate
from moderation.scoring import LexiconScorer
from rules import load_rulebook
from tests.conftest import make_settings
from tests.support import CallbackReceiver, comment
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import attempt_deliveries, score

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver(fail_first=2)
    yield server
    server.close()


def _queued(session: Session, url: str, text: str = "Great launch, well done!") -> Delivery:
    ids = store_comments(
        session, parse_vigie_payload(comment("c1", text=text)), "acme", NOW
    ).new_ids
    queued: list[Delivery] = []

    def hook(s: Session, c: Comment, d) -> None:  # type: ignore[no-untyped-def]
        found = delivery.queue_callback(s, c, d, url, NOW)
        assert found is not None
        queued.append(found)

    moderate(session, ids, LexiconScorer(), load_rulebook(), NOW, on_decision=hook)
    session.commit()
    return queued[0]


def _attempt(session: Session, delivery_id: int, now: datetime, max_attempts: int = 5) -> bool:
    claimed = delivery.claim(session, delivery_id, now, lease_s=60)
    session.commit()
    if claimed is None:
        return False
    outcome = delivery.send(claimed, "test-secret", timeout_s=5)
    delivery.record(session, claimed, outcome, now, max_attempts)
    session.commit()
    return True


def test_it_retries_with_backoff_until_delivered(
    session: Session, receiver: CallbackReceiver
) -> None:
    """Two failures are retried 5 s then 10 s later; the third attempt delivers once."""
    queued = _queued(session, receiver.url)
    assert _attempt(session, queued.id, NOW)
    assert queued.next_attempt_at == NOW + timedelta(seconds=5)
    assert not _attempt(session, queued.id, NOW + timedelta(seconds=4)), "not due yet"
    assert _attempt(session, queued.id, NOW + timedelta(seconds=5))
    assert queued.next_attempt_at == NOW + timedelta(seconds=15)
    assert _attempt(session, queued.id, NOW + timedelta(seconds=15))
    assert queued.status == DeliveryStatus.DELIVERED
    assert queued.attempts == 3
    [payload] = receiver.received
    assert payload["delivery"] == str(queued.id)
    assert payload["external_id"] == "c1"
    assert payload["decision"]["action"] == "approve"
    assert "text" not in payload
    assert receiver.bad_signatures == 0


def test_the_callback_carries_the_rules_tags_and_priority(
    session: Session, receiver: CallbackReceiver
) -> None:
    """A source can route on what the rules said: tags and review priority travel too."""
    queued = _queued(session, receiver.url, text="You stupid fucking idiot, go kill yourself")
    for attempt_at in (NOW, NOW + timedelta(seconds=5), NOW + timedelta(seconds=15)):
        _attempt(session, queued.id, attempt_at)
    [payload] = receiver.received
    assert payload["decision"]["action"] == "remove"
    assert "harassment" in payload["decision"]["tags"]
    assert payload["decision"]["review_priority"] is None


def test_it_marks_a_delivery_failed_after_the_last_attempt(session: Session) -> None:
    """An unreachable callback is marked failed, with its error, after max attempts."""
    queued = _queued(session, "http://127.0.0.1:9/unreachable")
    now = NOW
    for _ in range(3):
        assert _attempt(session, queued.id, now, max_attempts=3)
        now += timedelta(hours=2)
    assert queued.status == DeliveryStatus.FAILED
    assert "ConnectionError" in (queued.last_error or "")
    assert not _attempt(session, queued.id, now), "failed deliveries are not attempted again"
    assert delivery.retry_failed(session, now) == 1
    assert delivery.due(session, now) == [queued.id]


def test_it_lets_only_one_worker_claim_an_attempt(session: Session) -> None:
    """A claimed attempt is leased: a second claim at the same time gets nothing."""
    queued = _queued(session, "http://127.0.0.1:9/x")
    assert delivery.claim(session, queued.id, NOW, lease_s=60) is not None
    assert delivery.claim(session, queued.id, NOW, lease_s=60) is None
    assert delivery.due(session, NOW) == []


def test_it_has_capped_exponential_backoff() -> None:
    """Backoff doubles from 5 s and stops at one hour."""
    assert [delivery.backoff_s(n) for n in (1, 2, 3)] == [5, 10, 20]
    assert delivery.backoff_s(30) == 3600


NEW, OLD = "new-secret-0123456789", "old-secret-0123456789"
ONE_SIGNATURE = re.compile(r"t=\d+,v1=[0-9a-f]{64}")
TWO_SIGNATURES = re.compile(r"t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}")


def _deliver_one(tmp_path: Path, receiver: CallbackReceiver, **secrets: str) -> DeliveryStatus:
    """Decide one acme comment and make one attempt at its callback, as the worker does."""
    settings = make_settings(
        tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=receiver.url, VIGIE_SCORER="lexicon", **secrets
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    try:
        with rt.sessions.begin() as session:
            ids = store_comments(
                session, parse_vigie_payload(comment("c1")), "acme", datetime.now(UTC)
            ).new_ids
        attempt_deliveries(rt, score(rt, ids))
        with rt.sessions() as session:
            return session.scalars(select(Delivery.status)).one()
    finally:
        rt.close()


@pytest.mark.parametrize("receiver_secret", [OLD, NEW])
def test_during_a_rotation_callbacks_pass_a_receiver_on_either_secret(
    tmp_path: Path, receiver_secret: str
) -> None:
    """With VIGIE_SOURCE_ACME_SECRET_PREVIOUS set, one header carries a v1 per secret, so a
    receiver still checking the old secret accepts the callback as well as one on the new."""
    receiver = CallbackReceiver(secret=receiver_secret)
    try:
        status = _deliver_one(
            tmp_path,
            receiver,
            VIGIE_SOURCE_ACME_SECRET=NEW,
            VIGIE_SOURCE_ACME_SECRET_PREVIOUS=OLD,
        )
    finally:
        receiver.close()
    assert (status, receiver.bad_signatures, len(receiver.received)) == (
        DeliveryStatus.DELIVERED,
        0,
        1,
    )
    [header] = receiver.signatures
    assert header is not None and TWO_SIGNATURES.fullmatch(header), header


def test_after_a_rotation_callbacks_carry_the_new_signature_only(tmp_path: Path) -> None:
    """Without a previous secret the header is the single-signature form, and a receiver
    still on the old secret refuses it (the rotation is over)."""
    receiver = CallbackReceiver(secret=OLD)
    try:
        status = _deliver_one(tmp_path, receiver, VIGIE_SOURCE_ACME_SECRET=NEW)
    finally:
        receiver.close()
    assert status is DeliveryStatus.PENDING, "refused (401), to be retried"
    assert (receiver.bad_signatures, receiver.received) == (1, [])
    [header] = receiver.signatures
    assert header is not None and ONE_SIGNATURE.fullmatch(header), header
