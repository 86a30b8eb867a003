"""Logging and error reporting, set up once per process."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from vigie.settings import Settings

# Keys that may carry comment text or author data; never sent to Sentry.
_PRIVATE_KEYS = {"text", "message_text", "author", "author_id", "author_handle", "handle", "body"}


def setup_process(settings: Settings, component: str) -> None:
    configure_logging(settings)
    init_sentry(settings, component)


def configure_logging(settings: Settings) -> None:
    """Structured logs on stderr: JSON in production, readable key=value in development."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # One line per task received or succeeded is noise at this volume (beat alone sends two
    # tasks every 5 s, and says so at INFO: 35,000 lines a day); failures still log at
    # WARNING+, and VIGIE_LOG_LEVEL=DEBUG shows them all.
    quiet = root.level if root.level <= logging.DEBUG else max(logging.WARNING, root.level)
    for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat"):
        logging.getLogger(name).setLevel(quiet)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def init_sentry(settings: Settings, component: str) -> bool:
    """Turn on Sentry when SENTRY_DSN is set; returns whether it did."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.env,
        server_name=component,
        integrations=[FlaskIntegration(), CeleryIntegration(), SqlalchemyIntegration()],
        # send_default_pii stays at its default (off); it is deprecated in sentry-sdk 2.x.
        max_request_body_size="never",  # request bodies are comments
        include_local_variables=False,  # frame locals hold comment text
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True


def scrub_event(event: dict[str, Any], _hint: Any) -> dict[str, Any]:
    """Drop anything that could hold comment text or author data from a Sentry event."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string"):
            request.pop(key, None)
    for key in ("extra", "contexts"):
        if isinstance(event.get(key), dict):
            event[key] = _scrub(event[key])
    event.pop("user", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
    return event


def scrub_breadcrumb(crumb: dict[str, Any], _hint: Any) -> dict[str, Any] | None:
    if crumb.get("category") in ("query", "sqlalchemy"):
        return None  # SQL parameters carry comment text
    if isinstance(crumb.get("data"), dict):
        crumb["data"] = _scrub(crumb["data"])
    return crumb


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[removed]" if str(k).lower() in _PRIVATE_KEYS else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
