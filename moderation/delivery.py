"""Outbound decision callbacks through an outbox: written with the decision, sent after commit.

A delivery row is created in the same transaction as the decision. Sending it is an attempt
claimed with a compare-and-set (so two workers never send the same attempt at once), and its
outcome is recorded: delivered, retried later with exponential backoff, or — after
`max_attempts` — marked failed and left visible. Receivers get at-least-once delivery and
should deduplicate on the `X-Vigie-Delivery` header.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.models import Comment, Decision, Delivery, DeliveryStatus
from moderation.signing import vigie_signature

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 3600.0


def decision_payload(comment: Comment, decision: Decision) -> dict[str, Any]:
    """The JSON a source receives for a decision (no comment text: the source already has it)."""
    return {
        "event": "decision",
        "platform": comment.platform,
        "external_id": comment.external_id,
        "thread_id": comment.thread_id,
        "decision": {
            "action": str(decision.action),
            "reasons": decision.reasons,
            "rule_ids": decision.rule_ids,
            "tags": decision.tags,
            "review_priority": decision.review_priority,
            "scores": decision.scores,
            "model_version": decision.model_version,
            "rules_version": decision.rules_version,
            "decided_at": decision.decided_at.isoformat(),
        },
    }


def queue_callback(
    session: Session, comment: Comment, decision: Decision, url: str | None, now: datetime
) -> Delivery | None:
    """Write the outbox row for a machine decision when its source has a callback URL."""
    if not url:
        return None
    return outbox(
        session,
        decision.id,
        "machine",
        comment.source,
        url,
        decision_payload(comment, decision),
        now,
    )


def outbox(
    session: Session,
    decision_id: int,
    kind: str,
    source: str,
    url: str,
    payload: dict[str, Any],
    now: datetime,
) -> Delivery:
    """Add a pending delivery, due now; the caller's commit makes it durable."""
    delivery = Delivery(
        decision_id=decision_id,
        kind=kind,
        source=source,
        url=url,
        payload=payload,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    return delivery


def claim(session: Session, delivery_id: int, now: datetime, lease_s: float) -> Delivery | None:
    """Claim one due attempt; None if it is not due, already delivered, or claimed elsewhere."""
    claimed = claim_many(session, [delivery_id], now, lease_s)
    return claimed[0] if claimed else None


def claim_many(
    session: Session, delivery_ids: Sequence[int], now: datetime, lease_s: float
) -> list[Delivery]:
    """Claim the due attempts among `delivery_ids` in one compare-and-set statement (so two
    workers never send the same attempt at once): each claimed row's attempts go up by one and
    its next attempt moves `lease_s` ahead, past which a crashed sender's claim lapses."""
    if not delivery_ids:
        return []
    claimed = session.scalars(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .values(attempts=Delivery.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_s))
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(claimed))
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    )


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None


def send(
    delivery: Delivery,
    secret: str | Sequence[str],
    timeout_s: float,
    http: requests.Session | None = None,
) -> Outcome:
    """POST the payload, signed like inbound webhooks. Any 2xx is success.

    With several secrets (the source's new and previous ones while it rotates) the header
    carries one signature per secret, so a receiver on either accepts it.
    """
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Vigie/0.1",
        "X-Vigie-Event": "decision",
        "X-Vigie-Delivery": str(delivery.id),
        "X-Vigie-Signature": vigie_signature(secret, body, int(time.time())),
    }
    try:
        post = http.post if http is not None else requests.post
        response = post(delivery.url, data=body, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(True)
    return Outcome(False, f"HTTP {response.status_code}: {response.text[:200]}")


def send_all(
    deliveries: Sequence[Delivery],
    secrets: Mapping[str, Sequence[str]],
    timeout_s: float,
    concurrency: int,
) -> list[Outcome]:
    """Send claimed deliveries, `concurrency` at a time; outcomes in the same order.

    `secrets` holds each source's signing secrets (several while it rotates); a source with
    none is no longer configured, and its deliveries fail without a request.

    Each sending thread keeps one HTTP session, so deliveries to the same receiver reuse a
    connection. A slow receiver holds one thread, not the batch: the batch takes about
    max(timeout_s, len / concurrency × one send).
    """
    local = threading.local()
    opened: list[requests.Session] = []

    def one(item: Delivery) -> Outcome:
        secret = secrets.get(item.source)
        if not secret:
            return Outcome(False, f"source {item.source!r} is no longer configured")
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            opened.append(http)
        return send(item, secret, timeout_s, http)

    try:
        if len(deliveries) <= 1 or concurrency <= 1:
            return [one(item) for item in deliveries]
        with ThreadPoolExecutor(max_workers=min(concurrency, len(deliveries))) as pool:
            return list(pool.map(one, deliveries))
    finally:
        for http in opened:
            http.close()


def record(
    session: Session, delivery: Delivery, outcome: Outcome, now: datetime, max_attempts: int
) -> None:
    """Store an attempt's outcome and schedule the next one (or give up, visibly)."""
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = None
        return
    delivery.last_error = outcome.error
    if delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.FAILED
        log.warning(
            "callback failed for good",
            extra={"delivery_id": delivery.id, "attempts": delivery.attempts, "url": delivery.url},
        )
        return
    delivery.next_attempt_at = now + timedelta(seconds=backoff_s(delivery.attempts))
    log.info(
        "callback attempt failed, will retry",
        extra={"delivery_id": delivery.id, "attempts": delivery.attempts, "error": outcome.error},
    )


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt: 5, 10, 20, ... capped at one hour."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
    )


def retry_failed(session: Session, now: datetime) -> int:
    """Give failed deliveries a fresh set of attempts (operator command)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def callback_urls(sources: Mapping[str, Any], meta_url: str | None) -> dict[str, str | None]:
    """Callback URL per source name (Meta comments come from the source named 'meta')."""
    urls: dict[str, str | None] = {name: s.callback_url for name, s in sources.items()}
    urls["meta"] = meta_url
    return urls
