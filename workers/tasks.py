"""Celery tasks: each loads by id, calls one domain function, commits, then enqueues."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task, shared_task
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from alerts import counts as alert_counts
from alerts import retention as alert_retention
from moderation import delivery, retention
from moderation.models import Comment, Decision, Delivery
from moderation.moderate import decide, pending_texts, rescue_stale, score_texts
from moderation.review import queue as review_queue
from vigie.runtime import Runtime
from workers import broker

log = logging.getLogger(__name__)
SCORE_CHUNK = 100


def runtime(app: Celery) -> Runtime:
    """The Runtime of this worker process (rebuilt after a fork)."""
    current = app.conf.get("vigie_runtime")
    if current is None or current.pid != os.getpid():
        current = Runtime(app.conf["vigie_settings"])
        app.conf["vigie_runtime"] = current
    return current


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
        review_queue.enqueue(session, comment, decision, now)

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
    clock = clock or _now
    settings = rt.settings
    lease_s = settings.callback_timeout_s * 2 + 30
    with rt.sessions.begin() as session:
        claimed = delivery.claim(session, delivery_id, clock(), lease_s)
    if claimed is None:
        log.info("delivery not due or already taken", extra={"delivery_id": delivery_id})
        return
    secret = rt.secret(claimed.source)
    if secret is None:
        outcome = delivery.Outcome(False, f"source {claimed.source!r} is no longer configured")
    else:
        outcome = delivery.send(claimed, secret, settings.callback_timeout_s)
    with rt.sessions.begin() as session:
        current = session.get(Delivery, delivery_id)
        assert current is not None
        delivery.record(session, current, outcome, clock(), settings.callback_max_attempts)


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
    for delivery_id in score(runtime(self.app), comment_ids):
        deliver.delay(delivery_id)


@shared_task(bind=True, name="vigie.deliver")
def deliver(self: Task, delivery_id: int) -> None:
    """Make one attempt at a decision callback."""
    attempt_delivery(runtime(self.app), delivery_id)


@shared_task(bind=True, name="vigie.sweep")
def sweep(self: Task) -> None:
    """Beat: re-enqueue comments whose scoring was lost, and callbacks that are due."""
    rt = runtime(self.app)
    stale, due = find_lost_work(rt)
    if rt.settings.uses_embedded_broker:
        broker.purge_consumed(rt.settings.broker_url)
    for start in range(0, len(stale), SCORE_CHUNK):
        score_comments.delay(stale[start : start + SCORE_CHUNK])
    for delivery_id in due:
        deliver.delay(delivery_id)


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
