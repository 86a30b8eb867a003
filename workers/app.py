"""The Celery application, built from Settings (never from the environment at import time)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from celery import Celery

from vigie.settings import Settings
from workers import broker


def create_celery(settings: Settings) -> Celery:
    broker_url = settings.broker_url
    if settings.uses_embedded_broker:
        broker_url = broker_url.removeprefix(broker.URL_PREFIX)
    app = Celery("vigie", broker=broker_url, include=["workers.tasks", "workers.alert_tasks"])
    app.conf.update(
        task_acks_late=True,  # a task killed mid-way is redelivered; deciding is idempotent
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=4,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.broker_timeout_s,
        broker_transport=_transport(settings),
        broker_transport_options=_transport_options(settings),
        beat_schedule={
            "sweep": {
                "task": "vigie.sweep",
                "schedule": timedelta(seconds=settings.sweep_interval_s),
                "options": {"expires": settings.sweep_interval_s * 2},
            },
            "alerts": {
                "task": "vigie.alerts_tick",
                "schedule": timedelta(seconds=settings.alert_interval_s),
                "options": {"expires": settings.alert_interval_s * 2},
            },
            **_retention_schedule(settings),
        },
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        task_routes={"vigie.*": {"queue": "celery"}},
    )
    app.conf["vigie_settings"] = settings
    return app


def _transport(settings: Settings) -> str | None:
    """Vigie's subclasses of kombu's SQLAlchemy (embedded) and Redis transports; else kombu's."""
    if settings.uses_embedded_broker:
        return "workers.broker:Transport"
    if urlsplit(settings.broker_url).scheme in ("redis", "rediss"):
        return "workers.redis_transport:Transport"  # survives a close after a lost connection
    return None


def _transport_options(settings: Settings) -> dict[str, object]:
    if settings.uses_embedded_broker:
        return {}  # workers.broker.Transport sets its own polling interval
    # With acks_late, a task from a killed worker comes back after the visibility timeout;
    # workers look for such tasks every `unacked_restore_interval` seconds (kombu's default
    # is one real scan every 100 s). Socket timeouts keep a hung Redis from hanging callers.
    visibility = settings.visibility_timeout_s
    return {
        "visibility_timeout": visibility,
        "unacked_restore_interval": max(1, min(10, int(visibility // 4))),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": settings.broker_timeout_s,
        "socket_timeout": settings.broker_timeout_s,  # BRPOP polls answer within 1 s
    }


def _retention_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    if settings.retention_days is None:
        return {}
    # Hourly rather than daily: a beat restarted every few hours still purges.
    return {
        "retention": {
            "task": "vigie.retention_purge",
            "schedule": timedelta(hours=1),
            "options": {"expires": 3600},
        }
    }
