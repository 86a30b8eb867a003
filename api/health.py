"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text

from alerts import outbox
from api.auth import runtime
from moderation.models import Delivery, DeliveryStatus
from vigie import migrate

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Database and a valid rules version (503 naming what is not), the broker, plus detail.

    The broker down is `degraded`, still 200: the webhooks keep answering 202 (the comments
    are committed before the enqueue, which fails quietly; rate limits count in the database),
    and beat's sweep enqueues what waits once it is back. A load balancer taking every web
    process out of rotation (they share the broker) would refuse those comments instead.
    """
    rt = runtime()
    checks: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    degraded: dict[str, str] = {}
    try:
        with rt.sessions() as session:
            session.execute(text("SELECT 1"))
            # A deploy that skipped `release`: every webhook would be a 500 on a missing table
            # or column, while the database answers.
            problem = migrate.behind(session.connection())
            if problem is None:
                detail["callbacks_failed"] = session.scalar(
                    select(func.count()).where(Delivery.status == DeliveryStatus.FAILED)
                )
                detail["alerts_undelivered"] = outbox.failures(session)
        checks["database"] = problem or "ok"
    except Exception as exc:  # any failure to reach it means not ready
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        with rt.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
        degraded["broker"] = (
            "webhooks still store comments (202); scoring, callbacks and alerts wait until the"
            " broker is back"
        )
    try:
        book = rt.rulebook
        detail["rules"] = {"version": book.version, "files": list(book.files)}
        if rt.rules.error:  # a broken edit: the version above is the last good one, still in use
            detail["rules"]["error"] = rt.rules.error
        if rt.rules.fallback:  # broken since this process started: a version from the database
            detail["rules"]["from_database"] = rt.rules.fallback
        checks["rules"] = "ok"
    except Exception as exc:  # no version of the rules ever loaded: nothing can be decided
        detail["rules"] = {"error": str(exc)}
        checks["rules"] = "no valid rules (see detail)"
    ready = all(v == "ok" for name, v in checks.items() if name not in degraded)
    if degraded:
        detail["degraded"] = degraded
    status = "unavailable" if not ready else "degraded" if degraded else "ready"
    body = {"status": status, "checks": checks, "detail": detail}
    return jsonify(body), 200 if ready else 503
