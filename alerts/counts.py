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
from sqlalchemy import ColumnElement, Integer, func, literal, select, tuple_, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.detector import Series
from alerts.models import ALL_TOPICS, MinuteCount

Key = tuple[str, str]  # (platform, topic)

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
    return load_series_many(session, [(platform, topic)], end, days)[(platform, topic)]


def load_series_many(
    session: Session, keys: Sequence[Key], end: datetime, days: int
) -> dict[Key, Series]:
    """`load_series` for each key, in one query."""
    start = end - timedelta(days=days)
    n = int((end - start).total_seconds() // 60)
    arrays = {key: (np.zeros(n), np.zeros(n)) for key in keys}
    _fill(session, arrays, start, start, end)
    return {
        key: Series(start.timestamp(), 60, values, negatives)
        for key, (values, negatives) in arrays.items()
    }


def _of(keys: Iterable[Key]) -> ColumnElement[bool]:
    """The rows of these (platform, topic) keys."""
    return tuple_(MinuteCount.platform, MinuteCount.topic).in_(list(keys))


def _fill(
    session: Session,
    arrays: Mapping[Key, tuple[np.ndarray, np.ndarray]],
    origin: datetime,
    since: datetime,
    end: datetime,
) -> None:
    """Add the counts of minutes [since, end) of each key into its (values, negatives) arrays,
    whose index 0 is `origin`. One query for all keys."""
    if not arrays:
        return
    rows = session.execute(
        select(
            MinuteCount.platform,
            MinuteCount.topic,
            MinuteCount.minute,
            MinuteCount.total,
            MinuteCount.negative,
        ).where(_of(arrays), MinuteCount.minute >= since, MinuteCount.minute < end)
    )
    for platform, topic, minute, total, negative in rows:
        values, negatives = arrays[(platform, topic)]
        i = int((minute - origin).total_seconds() // 60)
        values[i] += total
        negatives[i] += negative


def _sums(
    session: Session, keys: Sequence[Key], since: datetime, end: datetime
) -> dict[Key, tuple[int, int]]:
    """Each key's total and negative counts over [since, end) (keys without any: absent)."""
    rows = session.execute(
        select(
            MinuteCount.platform,
            MinuteCount.topic,
            func.sum(MinuteCount.total),
            func.sum(MinuteCount.negative),
        )
        .where(_of(keys), MinuteCount.minute >= since, MinuteCount.minute < end)
        .group_by(MinuteCount.platform, MinuteCount.topic)
    )
    return {(platform, topic): (int(t), int(n)) for platform, topic, t, n in rows}


FIRSTS_PER_QUERY = 200  # UNION ALL branches per statement (SQLite allows 500)


def first_minutes(session: Session, keys: Sequence[Key]) -> dict[Key, datetime]:
    """Each key's first counted minute (keys without any: absent).

    One statement for up to FIRSTS_PER_QUERY keys: a UNION ALL of one min() per key, each an
    index lookup (the unique index on platform, topic, minute), where a GROUP BY over the keys
    would read all their rows.
    """
    firsts: dict[Key, datetime] = {}
    for at in range(0, len(keys), FIRSTS_PER_QUERY):
        chunk = keys[at : at + FIRSTS_PER_QUERY]
        branches = [
            select(literal(i, Integer), func.min(MinuteCount.minute)).where(
                MinuteCount.platform == platform, MinuteCount.topic == topic
            )
            for i, (platform, topic) in enumerate(chunk)
        ]
        query = branches[0] if len(branches) == 1 else union_all(*branches)
        for i, first in session.execute(query):
            if first is not None:
                firsts[chunk[i]] = first
    return firsts


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
        return self.series_many(session, [(platform, topic)], end, days)[(platform, topic)]

    def series_many(
        self, session: Session, keys: Sequence[Key], end: datetime, days: int
    ) -> dict[Key, Series]:
        """The same Series as `load_series_many(session, keys, end, days)`, in a few queries
        for all keys: one sum check and one read of the tail per distinct tail start (one,
        when every key was read at the last tick), one full read for the keys not cached."""
        with self._lock:
            return self._series_many(session, keys, end, days)

    def _series_many(
        self, session: Session, keys: Sequence[Key], end: datetime, days: int
    ) -> dict[Key, Series]:
        start = end - timedelta(days=days)
        url = str(session.get_bind().url)
        full: list[Key] = []
        # Per tail start: each key's shifted arrays and its first index to re-read.
        tails: dict[datetime, dict[Key, tuple[np.ndarray, np.ndarray, int, datetime]]] = {}
        for key in keys:
            entry = self._entries.get((url, *key))
            if (
                entry is None
                or len(entry.values) != days * 1440
                or entry.start > start
                or entry.end > end
                or (end - entry.loaded_at).total_seconds() >= self.reload_s
                or (end - entry.end) >= timedelta(days=days)
            ):
                full.append(key)
                continue
            shift = int((end - entry.end).total_seconds() // 60)
            n = len(entry.values)
            keep = n - shift
            values, negatives = np.zeros(n), np.zeros(n)
            values[:keep], negatives[:keep] = entry.values[shift:], entry.negatives[shift:]
            since = max(start, end - timedelta(minutes=self.tail_minutes + shift))
            first = int((since - start).total_seconds() // 60)
            tails.setdefault(since, {})[key] = (values, negatives, first, entry.loaded_at)
        out: dict[Key, Series] = {}
        for since, group in tails.items():
            sums = _sums(session, list(group), start, since)
            arrays: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
            for key, (values, negatives, first, _) in group.items():
                cached = (int(values[:first].sum()), int(negatives[:first].sum()))
                if sums.get(key, (0, 0)) != cached:
                    full.append(key)  # changed before the tail: everything is re-read
                    continue
                values[first:], negatives[first:] = 0.0, 0.0
                arrays[key] = (values, negatives)
            _fill(session, arrays, start, since, end)
            for key, (values, negatives) in arrays.items():
                loaded_at = group[key][3]
                self._entries[(url, *key)] = _Cached(start, end, values, negatives, loaded_at)
                out[key] = Series(start.timestamp(), 60, values.copy(), negatives.copy())
        for key, series in load_series_many(session, full, end, days).items():
            assert series.negatives is not None
            self._entries[(url, *key)] = _Cached(
                start, end, series.values.copy(), series.negatives.copy(), end
            )
            out[key] = series
        return out


CACHE = SeriesCache()  # the beat's; evaluate.run uses it
