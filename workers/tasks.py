"""Celery tasks: each loads by id, calls one domain function, commits, then enqueues."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task, shared_task
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from alerts import counts as alert_counts
from alerts import retention as alert_retention
from moderation import delivery, retention
from moderation.models import Comment, Decision, Delivery
from moderation.moderate import decide, pending_texts, rescue_stale, score_texts
from moderation.review import queue as review_queue
from rules import RulesError
from vigie.runtime import Runtime
from workers import broker

log = logging.getLogger(__name__)
SCORE_CHUNK = 100
DELIVERY_CHUNK = 100  # callbacks claimed, sent and recorded together by one task
CALLBACK_CONCURRENCY = 8  # callbacks in flight at once within such a task


def runtime(app: Celery) -> Runtime:
    """The Runtime of this worker process (rebuilt after a fork)."""
    current = app.conf.get("vigie_runtime")
    if current is None or current.pid != os.getpid():
        current = Runtime(app.conf["vigie_settings"])
        app.conf["vigie_runtime"] = current
    return current


def warm_up(rt: Runtime) -> None:
    """Load the scorer and the rules when a worker process starts, not on its first comment.

    Rule files that are broken at start are already logged by the reloader, naming file and
    line; the process stays up and decides once they are fixed (no traceback on top).
    """
    rt.scorer.score_batch(["warm-up"])
    with contextlib.suppress(RulesError):
        rt.rulebook  # noqa: B018 - loading is the point


def _now() -> datetime:
    return datetime.now(UTC)


def score(rt: Runtime, comment_ids: list[int]) -> list[int]:
    """Decide comments and write their callbacks to the outbox; return the deliveries' ids."""
    now = _now()
    queued_deliveries: list[Delivery] = []
    counted: list[tuple[str, list[str], dict[str, Any]]] = []

    def on_decision(session: Session, comment: Comment, decision: Decision) -> None:
        topics = alert_counts.topics_for(comment.text, comment.thread_id, rt.settings.alert_topics)
        counted.append((comment.platform, topics, decision.scores))
        queued = delivery.queue_callback(
            session, comment, decision, rt.callback_url(comment.source), now
        )
        if queued is not None:
            queued_deliveries.append(queued)
        review_queue.enqueue(session, comment, decision, now, topics)

    # Score outside the write transaction: on SQLite a writer locks the whole database.
    with rt.sessions() as session:
        texts = pending_texts(session, comment_ids)
    scores = score_texts(rt.scorer, texts)
    with rt.sessions.begin() as session:
        result = decide(session, comment_ids, scores, rt.rulebook, now, on_decision)
        alert_counts.count_decisions(session, counted, now)
    delivery_ids = [d.id for d in queued_deliveries]  # flushed by moderate, committed above
    log.info(
        "decided comments", extra={"decided": len(result.decision_ids), "skipped": result.skipped}
    )
    return delivery_ids


def attempt_delivery(
    rt: Runtime, delivery_id: int, clock: Callable[[], datetime] | None = None
) -> None:
    """Make one attempt at a decision callback, if due and not taken, and record its outcome."""
    attempt_deliveries(rt, [delivery_id], clock)


def attempt_deliveries(
    rt: Runtime, delivery_ids: list[int], clock: Callable[[], datetime] | None = None
) -> None:
    """One attempt at each due, untaken callback among `delivery_ids`, sent concurrently.

    One transaction claims them all, one records every outcome: a batch of 100 callbacks costs
    two commits and about 100 / CALLBACK_CONCURRENCY round trips, where one task per callback
    cost two commits and a task each.
    """
    clock = clock or _now
    settings = rt.settings
    rounds = -(-len(delivery_ids) // CALLBACK_CONCURRENCY)
    lease_s = settings.callback_timeout_s * 2 * max(rounds, 1) + 30
    with rt.sessions.begin() as session:
        claimed = delivery.claim_many(session, delivery_ids, clock(), lease_s)
    if len(claimed) < len(delivery_ids):
        log.info(
            "deliveries not due or already taken",
            extra={"count": len(delivery_ids) - len(claimed)},
        )
    if not claimed:
        return
    secrets = {item.source: rt.callback_secrets(item.source) for item in claimed}
    outcomes = delivery.send_all(
        claimed, secrets, settings.callback_timeout_s, CALLBACK_CONCURRENCY
    )
    with rt.sessions.begin() as session:
        current = {
            row.id: row
            for row in session.scalars(
                select(Delivery).where(Delivery.id.in_([item.id for item in claimed]))
            )
        }
        for item, outcome in zip(claimed, outcomes, strict=True):
            delivery.record(
                session, current[item.id], outcome, clock(), settings.callback_max_attempts
            )


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Send callbacks in tasks of up to DELIVERY_CHUNK."""
    for start in range(0, len(delivery_ids), DELIVERY_CHUNK):
        deliver_batch.delay(delivery_ids[start : start + DELIVERY_CHUNK])


def find_lost_work(rt: Runtime) -> tuple[list[int], list[int]]:
    """Comments whose scoring was lost, and callbacks that are due."""
    now = _now()
    with rt.sessions.begin() as session:
        stale = rescue_stale(session, now, rt.settings.rescue_after_s)
        due = delivery.due(session, now)
    if stale:
        log.warning("re-enqueueing stale comments", extra={"count": len(stale)})
    return stale, due


@shared_task(
    bind=True,
    name="vigie.score_comments",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=None,
)
def score_comments(self: Task, comment_ids: list[int]) -> None:
    """Score and decide comments; enqueue their callbacks after the commit."""
    enqueue_deliveries(score(runtime(self.app), comment_ids))


@shared_task(bind=True, name="vigie.deliver")
def deliver(self: Task, delivery_id: int) -> None:
    """Make one attempt at a decision callback (a moderator's decision)."""
    attempt_delivery(runtime(self.app), delivery_id)


@shared_task(bind=True, name="vigie.deliver_batch")
def deliver_batch(self: Task, delivery_ids: list[int]) -> None:
    """Make one attempt at each of these decision callbacks, several at a time."""
    attempt_deliveries(runtime(self.app), delivery_ids)


@shared_task(bind=True, name="vigie.sweep")
def sweep(self: Task) -> None:
    """Beat: re-enqueue comments whose scoring was lost, and callbacks that are due."""
    rt = runtime(self.app)
    stale, due = find_lost_work(rt)
    if rt.settings.uses_embedded_broker:
        broker.purge_consumed(rt.settings.broker_url)
    for start in range(0, len(stale), SCORE_CHUNK):
        score_comments.delay(stale[start : start + SCORE_CHUNK])
    enqueue_deliveries(due)


@shared_task(bind=True, name="vigie.retention_purge")
def retention_purge(self: Task) -> None:
    """Beat, hourly when VIGIE_RETENTION_DAYS is set: blank old comments' text and handles."""
    rt = runtime(self.app)
    days = rt.settings.retention_days
    if days is None:
        log.info("retention purge skipped: VIGIE_RETENTION_DAYS is not set")
        return
    count = retention.purge(rt.sessions, days, _now())
    messages = alert_retention.purge(rt.sessions, days, _now())
    log.info("retention purge", extra={"comments": count, "alert_messages": messages, "days": days})
