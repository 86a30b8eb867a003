"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text

from api.auth import runtime
from moderation.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Database and broker reachable (503 naming what is not), plus operational detail."""
    rt = runtime()
    checks: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    try:
        with rt.sessions() as session:
            session.execute(text("SELECT 1"))
            detail["callbacks_failed"] = session.scalar(
                select(func.count()).where(Delivery.status == DeliveryStatus.FAILED)
            )
        checks["database"] = "ok"
    except Exception as exc:  # any failure to reach it means not ready
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        with rt.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    try:
        book = rt.rulebook
        detail["rules"] = {"version": book.version, "files": list(book.files)}
        if rt.rules.error:  # a broken edit: the version above is the last good one, still in use
            detail["rules"]["error"] = rt.rules.error
    except Exception as exc:
        detail["rules"] = {"error": str(exc)}
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks, "detail": detail}
    return jsonify(body), 200 if ready else 503
