"""Per-minute counters fed as decisions are stored, and read back as a Series.

Counters live in the database, incremented with an atomic upsert, so any number of workers
can feed them and any beat process can read them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.detector import Series
from alerts.models import ALL_TOPICS, MinuteCount

TOXIC_AT = 0.5  # toxicity score from which a comment counts as toxic


def topics_for(text: str, thread_id: str | None, topics: Mapping[str, Sequence[str]]) -> list[str]:
    """Topics a comment belongs to: a keyword/hashtag in its text, or `thread:<id>` watched."""
    lowered = text.lower()
    found = []
    for name, terms in topics.items():
        for term in terms:
            if term.startswith("thread:"):
                if thread_id is not None and term[len("thread:") :] == thread_id:
                    found.append(name)
                    break
            elif term.lower() in lowered:
                found.append(name)
                break
    return found


def minute_of(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def count_decision(
    session: Session,
    platform: str,
    topics: Sequence[str],
    scores: Mapping[str, Any],
    decided_at: datetime,
) -> None:
    """Add one decided comment to its platform's counters (overall and per topic)."""
    count_decisions(session, [(platform, topics, scores)], decided_at)


def count_decisions(
    session: Session,
    decided: Iterable[tuple[str, Sequence[str], Mapping[str, Any]]],
    decided_at: datetime,
) -> None:
    """Add a batch of decided comments: one upsert per (platform, topic), not per comment.

    Every worker's batch lands on the same few rows (this minute, all topics), so summing
    first keeps the hot rows' lock time and the statement count small.
    """
    sums: dict[tuple[str, str], list[int]] = {}
    for platform, topics, scores in decided:
        negative = int(scores.get("sentiment") == "negative")
        toxic = int(float(scores.get("toxicity", 0.0)) >= TOXIC_AT)
        for topic in (ALL_TOPICS, *topics):
            row = sums.setdefault((platform, topic), [0, 0, 0])
            row[0] += 1
            row[1] += negative
            row[2] += toxic
    minute = minute_of(decided_at)
    for (platform, topic), (total, negative, toxic) in sorted(sums.items()):
        _increment(session, platform, topic, minute, total, negative, toxic)


def _increment(
    session: Session,
    platform: str,
    topic: str,
    minute: datetime,
    total: int,
    negative: int,
    toxic: int,
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = MinuteCount.__table__
    stmt = insert(table).values(
        platform=platform, topic=topic, minute=minute, total=total, negative=negative, toxic=toxic
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["platform", "topic", "minute"],
        set_={
            "total": table.c.total + total,
            "negative": table.c.negative + negative,
            "toxic": table.c.toxic + toxic,
        },
    )
    session.execute(stmt)


def keys_since(session: Session, since: datetime) -> list[tuple[str, str]]:
    """(platform, topic) pairs with any count since `since`."""
    rows = session.execute(
        select(MinuteCount.platform, MinuteCount.topic)
        .where(MinuteCount.minute >= since)
        .distinct()
    )
    return sorted((p, t) for p, t in rows)


def load_series(session: Session, platform: str, topic: str, end: datetime, days: int) -> Series:
    """Minute counts from `end - days` up to, not including, `end` (a minute boundary)."""
    start = end - timedelta(days=days)
    n = int((end - start).total_seconds() // 60)
    values, negatives = np.zeros(n), np.zeros(n)
    _fill(session, platform, topic, start, start, end, values, negatives)
    return Series(start.timestamp(), 60, values, negatives)


def _fill(
    session: Session,
    platform: str,
    topic: str,
    origin: datetime,
    since: datetime,
    end: datetime,
    values: np.ndarray,
    negatives: np.ndarray,
) -> None:
    """Add the counts of minutes [since, end) into arrays whose index 0 is `origin`."""
    rows = session.execute(
        select(MinuteCount.minute, MinuteCount.total, MinuteCount.negative).where(
            MinuteCount.platform == platform,
            MinuteCount.topic == topic,
            MinuteCount.minute >= since,
            MinuteCount.minute < end,
        )
    )
    for minute, total, negative in rows:
        i = int((minute - origin).total_seconds() // 60)
        values[i] += total
        negatives[i] += negative


def _sums(
    session: Session, platform: str, topic: str, since: datetime, end: datetime
) -> tuple[int, int]:
    total, negative = session.execute(
        select(
            func.coalesce(func.sum(MinuteCount.total), 0),
            func.coalesce(func.sum(MinuteCount.negative), 0),
        ).where(
            MinuteCount.platform == platform,
            MinuteCount.topic == topic,
            MinuteCount.minute >= since,
            MinuteCount.minute < end,
        )
    ).one()
    return int(total), int(negative)


@dataclass
class _Cached:
    start: datetime
    end: datetime
    values: np.ndarray
    negatives: np.ndarray
    loaded_at: datetime


class SeriesCache:
    """Minute counts kept between beat ticks, so a tick reads minutes, not days.

    Past minutes rarely change (comments are counted in the minute they are decided), so a
    tick shifts the cached days and re-reads only the last `tail_minutes` (the minute in
    progress, the new ones, and a margin for a batch committed late). One aggregate query checks
    the older minutes still add up to what is cached (a late commit, a purge, a back-fill or
    another database: everything is re-read), and everything is re-read every `reload_s`
    anyway. One per process, keyed by database; safe across threads.
    """

    def __init__(self, tail_minutes: int = 10, reload_s: float = 3600.0) -> None:
        self.tail_minutes = tail_minutes
        self.reload_s = reload_s
        self._entries: dict[tuple[str, str, str], _Cached] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def series(
        self, session: Session, platform: str, topic: str, end: datetime, days: int
    ) -> Series:
        """The same Series as `load_series(session, platform, topic, end, days)`."""
        with self._lock:
            return self._series(session, platform, topic, end, days)

    def _series(
        self, session: Session, platform: str, topic: str, end: datetime, days: int
    ) -> Series:
        start = end - timedelta(days=days)
        key = (str(session.get_bind().url), platform, topic)
        entry = self._entries.get(key)
        if (
            entry is None
            or len(entry.values) != days * 1440
            or entry.start > start
            or entry.end > end
            or (end - entry.loaded_at).total_seconds() >= self.reload_s
            or (end - entry.end) >= timedelta(days=days)
        ):
            full = load_series(session, platform, topic, end, days)
            self._entries[key] = _Cached(start, end, full.values.copy(), full.negatives.copy(), end)
            return full
        shift = int((end - entry.end).total_seconds() // 60)
        n = len(entry.values)
        keep = n - shift
        values, negatives = np.zeros(n), np.zeros(n)
        values[:keep], negatives[:keep] = entry.values[shift:], entry.negatives[shift:]
        since = max(start, end - timedelta(minutes=self.tail_minutes + shift))
        first = int((since - start).total_seconds() // 60)
        if _sums(session, platform, topic, start, since) != (
            int(values[:first].sum()),
            int(negatives[:first].sum()),
        ):
            del self._entries[key]
            return self._series(session, platform, topic, end, days)
        values[first:], negatives[first:] = 0.0, 0.0
        _fill(session, platform, topic, start, since, end, values, negatives)
        self._entries[key] = _Cached(start, end, values, negatives, entry.loaded_at)
        return Series(start.timestamp(), 60, values.copy(), negatives.copy())


CACHE = SeriesCache()  # the beat's; evaluate.run uses it
