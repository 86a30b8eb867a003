"""Publishing Celery tasks from a web request, after its commit, without waiting on a hung broker.

What is published from a request (scoring for new comments, a moderator's callbacks) is already
committed, and beat's sweep enqueues whatever waits: a failed publish costs time, never data.
So the broker sits behind its circuit breaker (vigie/breaker.py): after a failure (a hung Redis
costs a socket timeout) publishes skip it for a few seconds instead of each waiting as long.
The caller learns whether the task left (api/coalesce.py holds new comments' ids and tries
again; a moderator's callbacks are in the outbox, which the sweep delivers).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from vigie.breaker import BreakerOpen, CircuitBreaker

log = logging.getLogger(__name__)


def publish(
    celery: Celery,
    breaker: CircuitBreaker | None,
    task: str,
    args: list[Any],
    retry_policy: dict[str, Any],
    context: dict[str, Any],
) -> bool:
    """Send `task`; False when the broker failed or was skipped (logged with `context`)."""

    def send() -> None:
        celery.send_task(task, args=args, retry_policy=retry_policy)

    try:
        if breaker is None:
            send()
        else:
            breaker.run(send, (Exception,))  # kombu raises many types: each counts as a failure
    except BreakerOpen:
        log.debug(
            "broker skipped after a recent failure; enqueued later",
            extra={"task": task, **context},
        )
        return False
    except Exception as exc:  # the work is committed; the sweep enqueues it later
        log.log(
            logging.INFO if breaker is not None else logging.WARNING,  # the breaker warned
            "enqueue failed; enqueued later",
            extra={"task": task, "error": type(exc).__name__, **context},
        )
        return False
    return True
