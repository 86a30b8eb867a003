"""Time of one alert tick (`evaluate.run`) on PostgreSQL: 10 platforms x 8 days of minutes.

    .venv/bin/python bench/alerts_tick.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a scratch database, seeds per-minute counts, and times consecutive ticks 5 s apart,
reading every platform's 8 days at each tick (no cache, as before) and with the beat's cache
(`alerts.counts.SeriesCache`: the minutes since the last tick, plus a sum check). Counts the
SQL statements of each tick too (`before_cursor_execute`). Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, event, insert, text

# Run from anywhere: the project root first, so `bench.*` and the project's packages import
# (and no script in bench/ can shadow a standard-library module).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from alerts import counts, evaluate  # noqa: E402
from alerts.evaluate import Context  # noqa: E402
from alerts.models import MinuteCount  # noqa: E402
from alerts.policy import Policy  # noqa: E402
from vigie import migrate  # noqa: E402
from vigie.db import make_engine, make_sessionmaker  # noqa: E402

PLATFORMS = 10
DAYS = 8


def seed(url: str, end: datetime) -> None:
    rng = np.random.default_rng(3)
    engine = make_engine(url)
    start = end - timedelta(days=DAYS)
    with engine.begin() as conn:
        for k in range(PLATFORMS):
            totals = rng.poisson(8.0, DAYS * 1440)
            rows = [
                {"platform": f"p{k}", "topic": "", "minute": start + timedelta(minutes=i),
                 "total": int(t), "negative": int(t // 6), "toxic": 0}
                for i, t in enumerate(totals)
            ]  # fmt: skip
            conn.execute(insert(MinuteCount), rows)
    engine.dispose()


class QueryCounter:
    """Counts the statements an engine sends (before_cursor_execute)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        self.count += 1


def ticks(url: str, ctx: Context, now: datetime, n: int) -> tuple[list[float], list[int]]:
    """Each tick's time and statement count (its transaction's BEGIN and COMMIT aside)."""
    engine = make_engine(url)
    counter = QueryCounter(engine)
    sessions = make_sessionmaker(engine)
    times, queries = [], []
    for i in range(n):
        at = now + timedelta(seconds=5 * i)
        counter.count = 0
        t0 = time.perf_counter()
        with sessions.begin() as session:
            evaluate.run(session, at, ctx)
        times.append(time.perf_counter() - t0)
        queries.append(counter.count)
    engine.dispose()
    return times, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--ticks", type=int, default=24)
    args = parser.parse_args()
    name = f"vigie_tick_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        now = datetime.now(UTC).replace(microsecond=0)
        seed(url, now.replace(second=0))
        base = Context(Policy({"default": "#alerts"}))
        before, before_q = ticks(url, base, now, args.ticks)
        cache = counts.SeriesCache()
        at = now + timedelta(minutes=10)
        after, after_q = ticks(url, replace(base, cache=cache), at, args.ticks)
        print(f"alert tick, {PLATFORMS} platforms x {DAYS} days of minutes on PostgreSQL:")
        print(f"  reading 8 days per platform each tick: median {statistics.median(before) * 1000:.0f} ms"
              f" (max {max(before) * 1000:.0f} ms) over {len(before)} ticks;"
              f" {statistics.median(before_q):.0f} queries per tick")  # fmt: skip
        print(f"  with the cache: first tick {after[0] * 1000:.0f} ms ({after_q[0]} queries), then median "
              f"{statistics.median(after[1:]) * 1000:.0f} ms (max {max(after[1:]) * 1000:.0f} ms);"
              f" {statistics.median(after_q[1:]):.0f} queries per tick"
              f" (min {min(after_q[1:])}, max {max(after_q[1:])})")  # fmt: skip
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
