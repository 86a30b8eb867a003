"""Liveness and readiness probes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
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


# /readyz answers within this, whatever a dependency does: probes give up after 1 s
# (Kubernetes' default timeoutSeconds), and a probe that times out reads as "down" rather than
# naming what is slow. A check still running then is reported as "no answer within 0.8 s".
READY_BUDGET_S = 0.8
# What each check learned, written from its thread as it goes (the database's own answer
# before its detail counts), with the future that says when it is done.
Found = dict[str, Any]
_running: dict[tuple[int, str], tuple[Future[None], Found]] = {}
_running_lock = threading.Lock()


def _start(rt: object, name: str, check: Callable[[Found], None]) -> tuple[Future[None], Found]:
    """Run one dependency's check in a daemon thread, so a hung one cannot hold the answer.

    A check still running from an earlier probe (a dependency hanging past its own socket
    timeouts) is waited on again, not started twice: hung checks never pile up threads.
    """
    key = (id(rt), name)
    with _running_lock:
        found = _running.get(key)
        if found is not None:
            return found
        future: Future[None] = Future()
        out: Found = {}
        _running[key] = (future, out)

    def run() -> None:
        try:
            check(out)
            future.set_result(None)
        except BaseException as exc:  # the check's own error, read by the probe
            future.set_exception(exc)
        finally:
            with _running_lock:
                _running.pop(key, None)

    threading.Thread(target=run, name=f"readyz-{name}", daemon=True).start()
    return future, out


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Database and a valid rules version (503 naming what is not), the broker, plus detail.

    The broker down is `degraded`, still 200: the webhooks keep answering 202 (the comments
    are committed before the enqueue, which fails quietly; rate limits count in the database),
    and beat's sweep enqueues what waits once it is back. A load balancer taking every web
    process out of rotation (they share the broker) would refuse those comments instead.

    The checks run side by side, each in its own thread, and the answer leaves after
    READY_BUDGET_S at most: a dependency that accepts connections and never answers (a hung
    Redis or PostgreSQL) is named as slow instead of holding the probe past its timeout.
    """
    rt = runtime()
    sessions, celery = rt.sessions, rt.celery  # built here, not raced for in the threads

    def database(found: Found) -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))
            # A deploy that skipped `release`: every webhook would be a 500 on a missing table
            # or column, while the database answers.
            problem = migrate.behind(session.connection())
            found["database"] = problem or "ok"
            if problem is None:
                found["callbacks_failed"] = session.scalar(
                    select(func.count()).where(Delivery.status == DeliveryStatus.FAILED)
                )
                found["alerts_undelivered"] = outbox.failures(session)

    def broker(found: Found) -> None:
        with celery.connection_for_write() as connection:
            # One immediate retry: kombu otherwise sleeps 2 s before it, past any probe.
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        found["broker"] = "ok"

    def rules(found: Found) -> None:
        book = rt.rulebook
        found["rules"] = {"version": book.version, "files": list(book.files)}
        if rt.rules.error:  # a broken edit: the version above is the last good one, still in use
            found["rules"]["error"] = rt.rules.error
        if rt.rules.fallback:  # broken since this process started: a version from the database
            found["rules"]["from_database"] = rt.rules.fallback

    deadline = time.monotonic() + READY_BUDGET_S
    started = {
        name: _start(rt, name, check)
        for name, check in (("database", database), ("broker", broker), ("rules", rules))
    }
    futures = {name: future for name, (future, _) in started.items()}
    wait(list(futures.values()), timeout=max(0.0, deadline - time.monotonic()))
    # A copy of each check's findings as they stand now: a late check writes on meanwhile.
    found: Found = {k: v for _, out in started.values() for k, v in dict(out).items()}
    slow = f"no answer within {READY_BUDGET_S:g} s"
    checks: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    degraded: dict[str, str] = {}
    errors = {n: f.exception() for n, f in futures.items() if f.done()}
    if "database" in found:  # its own answer, even when the detail counts below are slow
        checks["database"] = found["database"]
    elif errors.get("database") is not None:  # any failure to reach it means not ready
        checks["database"] = f"unreachable: {type(errors['database']).__name__}"
    else:
        checks["database"] = slow
    for name in ("callbacks_failed", "alerts_undelivered"):
        if name in found:
            detail[name] = found[name]
    if found.get("broker") == "ok":
        checks["broker"] = "ok"
    else:
        error = errors.get("broker")
        checks["broker"] = f"unreachable: {type(error).__name__}" if error else slow
        degraded["broker"] = (
            "webhooks still store comments (202); scoring, callbacks and alerts wait until the"
            " broker is back"
        )
    if "rules" in found:
        detail["rules"] = found["rules"]
        checks["rules"] = "ok"
    elif errors.get("rules") is not None:  # no version of the rules ever loaded
        detail["rules"] = {"error": str(errors["rules"])}
        checks["rules"] = "no valid rules (see detail)"
    else:
        checks["rules"] = slow
    late = [name for name, value in checks.items() if value == slow]
    if late:
        detail["slow"] = late
        log.warning("readiness checks without an answer in time", extra={"checks": late})
    ready = all(v == "ok" for name, v in checks.items() if name not in degraded)
    if degraded:
        detail["degraded"] = degraded
    status = "unavailable" if not ready else "degraded" if degraded else "ready"
    body = {"status": status, "checks": checks, "detail": detail}
    return jsonify(body), 200 if ready else 503
