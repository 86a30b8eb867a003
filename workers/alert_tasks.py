"""Celery tasks for crisis alerts: a beat tick that judges the counters, and one send per message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from alerts import evaluate, outbox, service
from workers.tasks import runtime

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@shared_task(bind=True, name="vigie.alerts_tick", ignore_result=True)
def alerts_tick(self: Task) -> None:
    """Beat: run detection on the last complete minute, then send every due alert message."""
    rt = runtime(self.app)
    now = _now()
    with rt.sessions.begin() as session:
        evaluate.run(session, now, service.context(rt.settings))
    with rt.sessions() as session:
        due = outbox.due(session, now)
    for message_id in due:
        send_alert.delay(message_id)


@shared_task(
    bind=True,
    name="vigie.send_alert",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=None,
)
def send_alert(self: Task, message_id: int) -> None:
    """One attempt at one alert message; the outcome is recorded on its outbox row."""
    rt = runtime(self.app)
    outcome = outbox.attempt(rt.sessions, message_id, service.transport(rt.settings), _now)
    log.info("alert message attempt", extra={"message_id": message_id, "outcome": outcome})
    if outcome == "sent" or outcome.startswith("failed"):
        # The next message of the incident was held back behind this one: send it now
        # rather than at the next beat.
        with rt.sessions() as session:
            following = outbox.following(session, message_id, _now())
        if following is not None:
            send_alert.delay(following)
