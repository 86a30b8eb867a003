"""Fixed-window rate limits shared by every web worker: in Redis when REDIS_URL is set, else in
the database (the `rate_counters` table).

A counter is keyed by what is limited (`source:acme`, `login-user:mia`) and the start of its
window. Fixed windows allow up to twice the limit across a window boundary; that is accepted
for shedding floods and slowing password guessing, which is all they are for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from moderation.models import Base
from vigie.breaker import BreakerOpen, CircuitBreaker


class RateCounter(Base):
    """Requests (or failures) counted for one key in one fixed window."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)  # unix seconds
    count: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Limit:
    """At most `count` events per `window_s` seconds."""

    count: int
    window_s: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int  # seconds until the window resets; 0 when allowed


class Limiter(Protocol):
    def hit(self, key: str, limit: Limit, now: float) -> Verdict:
        """Count one event; refuse it when the window already holds `limit.count`."""
        ...

    def blocked(self, key: str, limit: Limit, now: float) -> Verdict:
        """Whether the window is already full, without counting anything."""
        ...


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_s) * limit.window_s
    return start, max(1, math.ceil(start + limit.window_s - now))


def _verdict(count: int, limit: Limit, retry_after_s: int) -> Verdict:
    return Verdict(count <= limit.count, 0 if count <= limit.count else retry_after_s)


class DatabaseLimiter:
    """Counters in the database: one upsert per event, in its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def hit(self, key: str, limit: Limit, now: float) -> Verdict:
        start, retry = _window(limit, now)
        table = RateCounter.__table__
        with self.sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(table)
                .values(key=key, window_start=start, count=1)
                .on_conflict_do_update(
                    index_elements=["key", "window_start"], set_={"count": table.c.count + 1}
                )
                .returning(table.c.count)
            )
            count = int(session.execute(statement).scalar_one())
            if count == 1:  # first event of a window: drop this key's old windows
                session.execute(
                    delete(RateCounter).where(
                        RateCounter.key == key, RateCounter.window_start < start
                    )
                )
        return _verdict(count, limit, retry)

    def blocked(self, key: str, limit: Limit, now: float) -> Verdict:
        start, retry = _window(limit, now)
        with self.sessions() as session:
            count = session.scalar(
                select(RateCounter.count).where(
                    RateCounter.key == key, RateCounter.window_start == start
                )
            )
        return _verdict(int(count or 0) + 1, limit, retry)


class RedisLimiter:
    """Counters in Redis: INCR, and an expiry set with the window's first event.

    It runs on the request path, so Redis gets `timeout_s` (short) and no retry, behind a
    circuit breaker: after a failure Redis is skipped for a few seconds (vigie/breaker.py), so a
    hung Redis costs one request one timeout, not every request. While Redis is skipped or
    unusable the counts go to `fallback` (the database), so a Redis restart neither fails
    requests nor lifts the login limits; without a fallback the limits fail open.
    """

    def __init__(
        self,
        url: str,
        fallback: Limiter | None = None,
        timeout_s: float = 0.25,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),  # a retry would double the wait; the breaker decides
        )
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker("Redis (rate limits)")
        # Any error of Redis's: unreachable, hung, or answering with an error (MISCONF when it
        # cannot persist, READONLY after a failover), which would otherwise fail every request.
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError,)

    def hit(self, key: str, limit: Limit, now: float) -> Verdict:
        try:
            return self.breaker.run(lambda: self._hit(key, limit, now), self.errors)
        except (BreakerOpen, *self.errors):
            if self.fallback is None:
                return Verdict(True, 0)
            return self.fallback.hit(key, limit, now)

    def blocked(self, key: str, limit: Limit, now: float) -> Verdict:
        try:
            return self.breaker.run(lambda: self._blocked(key, limit, now), self.errors)
        except (BreakerOpen, *self.errors):
            if self.fallback is None:
                return Verdict(True, 0)
            return self.fallback.blocked(key, limit, now)

    def _name(self, key: str, start: int) -> str:
        return f"vigie:rate:{key}:{start}"

    def _hit(self, key: str, limit: Limit, now: float) -> Verdict:
        start, retry = _window(limit, now)
        name = self._name(key, start)
        pipe = self.client.pipeline()
        pipe.incr(name)
        pipe.expire(name, limit.window_s + 1, nx=True)
        count, _ = pipe.execute()
        return _verdict(int(count), limit, retry)

    def _blocked(self, key: str, limit: Limit, now: float) -> Verdict:
        start, retry = _window(limit, now)
        raw = self.client.get(self._name(key, start))
        return _verdict(int(raw or 0) + 1, limit, retry)
