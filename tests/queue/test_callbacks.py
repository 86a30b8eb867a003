"""A moderator's decision reaches the platform through the signed outbound callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from moderation.models import Delivery, DeliveryStatus
from moderation.review import queue
from moderation.review.decide import Choice, decide
from moderation.review.models import Verdict
from tests.conftest import make_settings
from tests.queue.conftest import add_item, add_user
from tests.support import SECRET, CallbackReceiver
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import attempt_delivery


def test_it_delivers_the_moderator_decision_signed_to_the_source(tmp_path: Path) -> None:
    """The deliver task's body sends a signed 'moderator_decision' and marks it delivered."""
    receiver = CallbackReceiver()
    settings = make_settings(tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=receiver.url)
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    now = datetime.now(UTC)
    try:
        with rt.sessions.begin() as session:
            mia = add_user(session, "mia")
            item = add_item(
                session, at=now - timedelta(minutes=1), external_id="ext-9", rule_tags=["spam"]
            )
            queue.claim(session, item.id, mia.id, now, 300)
            decided = decide(
                session, item.id, mia, Choice(Verdict.REMOVE, "insult"), now, rt.callback_url
            )
        attempt_delivery(rt, decided.delivery_ids[0])
        (body,) = receiver.received
        assert body["event"] == "moderator_decision"
        assert (body["external_id"], body["decision"]["action"]) == ("ext-9", "remove")
        assert body["decision"]["machine"]["tags"] == ["spam"]
        assert receiver.bad_signatures == 0
        with rt.sessions() as session:
            delivery = session.scalars(select(Delivery)).one()
            assert delivery.status is DeliveryStatus.DELIVERED
    finally:
        receiver.close()
        rt.close()


def test_it_signs_with_the_source_secret(tmp_path: Path) -> None:
    """A receiver expecting another secret refuses the callback (the signature is real)."""
    receiver = CallbackReceiver(secret=SECRET + "-other")
    settings = make_settings(tmp_path, VIGIE_SOURCE_ACME_CALLBACK_URL=receiver.url)
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    now = datetime.now(UTC)
    try:
        with rt.sessions.begin() as session:
            mia = add_user(session, "mia")
            item = add_item(session, at=now)
            queue.claim(session, item.id, mia.id, now, 300)
            decided = decide(session, item.id, mia, Choice(Verdict.APPROVE), now, rt.callback_url)
        attempt_delivery(rt, decided.delivery_ids[0])
        assert receiver.bad_signatures == 1 and receiver.received == []
    finally:
        receiver.close()
        rt.close()
