"""What a process needs at run time, built once per process from Settings."""

from __future__ import annotations

import os
import time
from functools import cached_property
from urllib.parse import urlsplit

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from moderation.scoring import Scorer
from rules import RuleBook
from rules.reload import RulebookReloader
from vigie.breaker import CircuitBreaker
from vigie.db import make_engine, make_sessionmaker
from vigie.ratelimit import DatabaseLimiter, Limiter, RedisLimiter
from vigie.settings import Settings


class Runtime:
    """Engine, sessions, scorer and rules for one process; heavy parts load on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pid = os.getpid()
        # Built here rather than on first use, so concurrent first requests share one each.
        self.redis_breaker, self.broker_breaker = _breakers(settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url, pool_timeout=self.settings.db_pool_timeout_s)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @cached_property
    def limiter(self) -> Limiter:
        """Rate limits shared by all web workers: Redis when configured, else the database."""
        if self.settings.redis_url:
            return RedisLimiter(
                self.settings.redis_url,
                fallback=DatabaseLimiter(self.sessions),
                timeout_s=self.settings.redis_timeout_s,
                breaker=self.redis_breaker,
            )
        return DatabaseLimiter(self.sessions)

    @cached_property
    def celery(self) -> Celery:
        from workers.app import create_celery

        return create_celery(self.settings)

    @cached_property
    def scorer(self) -> Scorer:
        from moderation.scorers import build_scorer

        return build_scorer(
            self.settings.scorer,
            transformers_models=self.settings.transformers_models,
            language_weights=self.settings.language_weights,
            transformers_int8=self.settings.transformers_int8,
        )

    @cached_property
    def rules(self) -> RulebookReloader:
        from rules.store import RulesStore

        return RulebookReloader(self.settings.rules_dir, store=RulesStore(self.sessions))

    @property
    def rulebook(self) -> RuleBook:
        """The current rules: files re-read at most every 2 s; a broken edit keeps the last good."""
        return self.rules.get(time.monotonic())

    def callback_secrets(self, source: str) -> tuple[str, ...]:
        """The secrets a source's callbacks are signed with: the current one, then the previous
        one while it rotates (so a receiver still on the old secret accepts them); none for a
        source no longer configured."""
        if source == "meta":
            return self.settings.meta_app_secrets
        found = self.settings.sources.get(source)
        return found.secrets if found else ()

    def callback_url(self, source: str) -> str | None:
        if source == "meta":
            return self.settings.meta_callback_url
        found = self.settings.sources.get(source)
        return found.callback_url if found else None

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _breakers(settings: Settings) -> tuple[CircuitBreaker, CircuitBreaker | None]:
    """Circuit breakers for REDIS_URL (the rate limiter) and the broker (the web's enqueues):
    one shared breaker when Redis is the broker, so one failure makes both skip it; none for
    the embedded broker, a local SQLite file."""
    sweep = "new comments are stored, and enqueued once it answers (or by beat's sweep)"
    shared = settings.broker_url == settings.redis_url
    redis = CircuitBreaker(
        f"Redis at {_where(settings.redis_url)}",
        while_open="rate limits count in the database" + (f"; {sweep}" if shared else ""),
    )
    if settings.uses_embedded_broker:
        return redis, None
    if shared:
        return redis, redis
    return redis, CircuitBreaker(f"the broker at {_where(settings.broker_url)}", while_open=sweep)


def _where(url: str | None) -> str:
    """host:port of a URL, for logs: never its password."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or '?'}:{port}" if port else parts.hostname or parts.scheme or "?"
