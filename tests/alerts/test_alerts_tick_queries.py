"""The beat's tick sends a fixed number of SQL statements, whatever the number of platforms and
topics (docs/alerts.md, "The beat's cost"): reads are batched across keys, not made per key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import counts, evaluate
from alerts.evaluate import Context
from alerts.models import Incident, MinuteCount, Silence
from alerts.policy import Policy
from tests.alerts.alert_series import fill_counts
from tests.conftest import empty_pg_database

NOW = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)
END = NOW.replace(second=0)
CTX = Context(Policy({"default": "#alerts"}), transport="slack")
MOST = 9  # statements per steady tick: 8 reads (7 without the cache) and 1 UPDATE of the incident


@contextmanager
def _counting(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = sessions.kw["bind"]

    def seen(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _setup(session: Session, platforms: int) -> None:
    """`platforms` platforms with two days of counts, overall and for a topic; a firing,
    posted incident on the first one; a silence on another."""
    for k in range(platforms):
        fill_counts(session, END, f"p{k}", days=2)
    rows = session.execute(select(MinuteCount).where(MinuteCount.topic == "")).scalars().all()
    session.execute(
        insert(MinuteCount),
        [
            {"platform": r.platform, "topic": "launch", "minute": r.minute,
             "total": r.total // 2, "negative": r.negative // 2, "toxic": 0}
            for r in rows
        ],
    )  # fmt: skip
    opened = END - timedelta(minutes=30)
    firing = Incident(
        platform="p0", topic="", kind="spike", status="firing", severity="warning",
        opened_at=opened, last_active_at=opened, evaluated_at=END - timedelta(minutes=1),
        notified_at=opened, acknowledged_at=END - timedelta(minutes=20), figures={},
    )  # fmt: skip
    silence = Silence(
        platform="p1", topic=None, ends_at=END + timedelta(hours=1), created_by="mia",
        reason="launch", created_at=END,
    )  # fmt: skip
    session.add_all([firing, silence])


def _steady_tick(
    sessions: sessionmaker[Session], platforms: int, ctx: Context
) -> tuple[list[str], list[int]]:
    """The statements of a tick after a first one (which fills the beat's cache)."""
    with sessions.begin() as session:
        _setup(session, platforms)
    with sessions.begin() as session:
        evaluate.run(session, NOW, ctx)
    with _counting(sessions) as statements, sessions.begin() as session:
        queued = evaluate.run(session, NOW + timedelta(seconds=5), ctx)
    return statements, queued


Run = Callable[[int, Context], tuple[list[str], list[int]]]


def _judged(statements: list[str]) -> None:
    """The tick did its work (else a count of 0 would pass): it read the counts of every key
    (the series or their tails, the first minutes) and advanced the firing incident."""
    flat = [" ".join(s.split()) for s in statements]
    assert any(s.startswith("SELECT alert_counts.platform, alert_counts.topic, alert_counts.minute")
               for s in flat), "\n".join(flat)  # fmt: skip
    assert any("min(alert_counts.minute)" in s for s in flat), "\n".join(flat)
    assert any(s.startswith("UPDATE alert_incidents") for s in flat), "\n".join(flat)


def _run_on(url: str, platforms: int, ctx: Context) -> tuple[list[str], list[int]]:
    from vigie import migrate
    from vigie.db import make_engine, make_sessionmaker

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        return _steady_tick(make_sessionmaker(engine), platforms, ctx)
    finally:
        engine.dispose()


@pytest.fixture
def steady(tmp_path: Path) -> Run:
    """A steady tick on a new SQLite database."""

    def run(platforms: int, ctx: Context) -> tuple[list[str], list[int]]:
        url = f"sqlite:///{tmp_path}/ticks_{platforms}_{ctx.cache is not None}.sqlite3"
        return _run_on(url, platforms, ctx)

    return run


def test_a_tick_with_the_cache_sends_a_few_statements_whatever_the_keys(steady: Run) -> None:
    """2 platforms x 2 topics, then 6 x 2: the same statements (per-key reads were 5 each)."""
    few, queued = steady(2, replace(CTX, cache=counts.SeriesCache()))
    many, _ = steady(6, replace(CTX, cache=counts.SeriesCache()))
    assert queued == []
    _judged(few)
    _judged(many)
    assert len(few) <= MOST, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)


def test_a_tick_without_the_cache_sends_a_few_statements_too(steady: Run) -> None:
    few, _ = steady(2, CTX)
    many, _ = steady(6, CTX)
    _judged(few)
    _judged(many)
    assert len(few) <= MOST, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.postgres
def test_a_tick_sends_the_same_few_statements_on_postgres() -> None:
    """The batched reads (row-value IN, UNION ALL, row_number()) on PostgreSQL, where
    `bench/alerts_tick.py` measures them."""
    counted = []
    for platforms in (2, 6):
        with empty_pg_database("vigie_ticks") as url:
            statements, queued = _run_on(url, platforms, replace(CTX, cache=counts.SeriesCache()))
        assert queued == [] and len(statements) <= MOST, "\n".join(statements)
        _judged(statements)
        counted.append(len(statements))
    assert counted[0] == counted[1]
