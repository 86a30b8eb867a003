"""Celery tasks for crisis alerts: a beat tick that judges the counters, and one send per message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import Task, shared_task
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from alerts import evaluate, outbox, service, transports
from vigie.runtime import Runtime
from workers.tasks import runtime

log = logging.getLogger(__name__)
TICK_LOCK = 0x76696769  # PostgreSQL advisory lock key held by the detector's transaction


def _now() -> datetime:
    return datetime.now(UTC)


@shared_task(bind=True, name="vigie.alerts_tick", ignore_result=True)
def alerts_tick(self: Task) -> None:
    """Beat: run detection on the last complete minute, then send every due alert message."""
    for message_id in tick(runtime(self.app), _now()):
        send_alert.delay(message_id)


def tick(rt: Runtime, now: datetime) -> list[int]:
    """Run the detector once, unless another tick is running; return the due messages' ids.

    Two beats by mistake (or a tick overrunning the next) must not open an incident twice:
    on PostgreSQL the detector runs under a transaction-level advisory lock, and a tick that
    cannot take it skips detection; everywhere, a unique index allows one firing incident per
    (platform, topic, kind), so a tick that raced past the lock fails instead of posting twice.
    """
    try:
        with rt.sessions.begin() as session:
            if _another_tick_running(session):
                # Usually ticks that queued up while the worker was restarting or busy and now
                # run side by side; two beats would show it at every tick, all the time.
                log.warning(
                    "alerts tick skipped: another tick is running (ticks queued behind a"
                    " restarted or busy worker; if this repeats at every tick, a second beat)"
                )
            else:
                evaluate.run(session, now, service.context(rt.settings))
    except IntegrityError:
        log.warning("alerts tick rolled back: another tick opened the same incident")
    with rt.sessions() as session:
        return outbox.due(session, now)


def _another_tick_running(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False  # SQLite: one writer at a time, and the unique index
    taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": TICK_LOCK})
    return not taken


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
    transport = service.transport(rt.settings)
    outcome = outbox.attempt(
        rt.sessions, message_id, transport, _now, rt.settings.alert_backoff_max_s
    )
    if outcome.startswith("failed"):
        # Slack refused it for good (a wrong token, a channel): the operator must act.
        log.error(
            "alert message failed for good: %s (%s)",
            outcome.removeprefix("failed: "),
            transports.hint(outcome),
            extra={"message_id": message_id, "outcome": outcome},
        )
    else:
        log.info("alert message attempt", extra={"message_id": message_id, "outcome": outcome})
    if outcome == "sent" or outcome.startswith("failed"):
        # The next message of the incident was held back behind this one: send it now
        # rather than at the next beat.
        with rt.sessions() as session:
            following = outbox.following(session, message_id, _now())
        if following is not None:
            send_alert.delay(following)
