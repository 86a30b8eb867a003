import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import select

from alerts import counts
from alerts.models import MinuteCount
from vigie import migrate
from vigie.db import make_engine, make_sessionmaker

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_sessions():
    """Our own schema in the `test` database, migrated, dropped afterwards."""
    schema = f"alerts_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
def test_it_upserts_counters_on_postgresql(pg_sessions):
    """On PostgreSQL too, decisions in the same minute add up in one row per platform and topic."""
    at = datetime(2026, 11, 24, 12, 0, 42, tzinfo=UTC)
    for sentiment in ("negative", "negative", "positive"):
        with pg_sessions.begin() as session:
            counts.count_decision(
                session, "facebook", ["launch"], {"sentiment": sentiment, "toxicity": 0.1}, at
            )
    with pg_sessions() as session:
        rows = sorted((r.topic, r.total, r.negative) for r in session.scalars(select(MinuteCount)))
    assert rows == [("", 3, 2), ("launch", 3, 2)]


@pytest.mark.postgres
def test_it_adds_a_batch_to_existing_counters(pg_sessions):
    """A batch is summed per platform and topic, then added to what the minute already holds."""
    at = datetime(2026, 11, 24, 12, 0, 42, tzinfo=UTC)
    with pg_sessions.begin() as session:
        counts.count_decision(session, "x", [], {"sentiment": "negative", "toxicity": 0.9}, at)
    batch = [
        ("x", ["launch"], {"sentiment": "negative", "toxicity": 0.9}),
        ("x", [], {"sentiment": "positive", "toxicity": 0.0}),
        ("tiktok", [], {"sentiment": "negative", "toxicity": 0.0}),
    ]
    with pg_sessions.begin() as session:
        counts.count_decisions(session, batch, at)
    with pg_sessions() as session:
        rows = sorted(
            (r.platform, r.topic, r.total, r.negative, r.toxic)
            for r in session.scalars(select(MinuteCount))
        )
    assert rows == [("tiktok", "", 1, 1, 0), ("x", "", 3, 2, 2), ("x", "launch", 1, 1, 1)]


@pytest.mark.postgres
def test_a_skipped_tick_does_not_blame_a_second_beat(pg_settings, caplog):
    """After every worker restart the queued ticks overlap: '(two beats?)' sent operators
    looking for a beat that was not there."""
    import logging

    from sqlalchemy import text

    from vigie.runtime import Runtime
    from workers.alert_tasks import TICK_LOCK, tick

    rt = Runtime(pg_settings)
    with rt.engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TICK_LOCK})
        with caplog.at_level(logging.WARNING, logger="workers.alert_tasks"):
            assert tick(rt, datetime.now(UTC)) == []
    rt.close()
    assert "another tick is running" in caplog.text  # tests/faults counts this phrase
    assert "two beats?" not in caplog.text
    assert "restarted or busy worker" in caplog.text and "second beat" in caplog.text
