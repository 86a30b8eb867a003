from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import delete, insert

from alerts import counts
from alerts.models import MinuteCount

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _row(minute: datetime, total: int, negative: int) -> dict:
    return {"platform": "x", "topic": "", "minute": minute, "total": total, "negative": negative,
            "toxic": 0}  # fmt: skip


def _same(cache: counts.SeriesCache, session, end: datetime) -> None:
    cached = cache.series(session, "x", "", end, 2)
    fresh = counts.load_series(session, "x", "", end, 2)
    assert cached.start == fresh.start
    np.testing.assert_array_equal(cached.values, fresh.values)
    np.testing.assert_array_equal(cached.negatives, fresh.negatives)


def test_it_gives_the_same_series_as_a_full_read_as_counts_change(sessions):
    """Minutes roll over, the minute in progress grows, a late batch lands, history is back-filled
    or purged: the cached series always equals a full read."""
    cache = counts.SeriesCache(tail_minutes=3)
    rng = np.random.default_rng(2)
    with sessions.begin() as session:
        rows = [
            _row(END - timedelta(minutes=i), int(rng.poisson(5)), int(rng.poisson(1)))
            for i in range(1, 2 * 1440 + 30)
        ]
        session.execute(insert(MinuteCount), rows)
    with sessions.begin() as session:
        _same(cache, session, END)  # the first read fills the cache
        counts.count_decision(session, "x", [], {"sentiment": "negative"}, END)
        _same(cache, session, END + timedelta(minutes=1))  # the new minute
        counts.count_decision(session, "x", [], {"sentiment": "negative"}, END)  # late, in tail
        _same(cache, session, END + timedelta(minutes=3))
        session.execute(insert(MinuteCount), [_row(END - timedelta(hours=5, seconds=30), 40, 40)])
        _same(cache, session, END + timedelta(minutes=3))  # back-filled hours ago
        session.execute(delete(MinuteCount).where(MinuteCount.minute < END - timedelta(hours=20)))
        _same(cache, session, END + timedelta(minutes=4))  # purged
