"""Per-minute counters fed as decisions are stored, and read back as a Series.

Counters live in the database, incremented with an atomic upsert, so any number of workers
can feed them and any beat process can read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
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
    values = np.zeros(n)
    negatives = np.zeros(n)
    rows = session.execute(
        select(MinuteCount.minute, MinuteCount.total, MinuteCount.negative).where(
            MinuteCount.platform == platform,
            MinuteCount.topic == topic,
            MinuteCount.minute >= start,
            MinuteCount.minute < end,
        )
    )
    for minute, total, negative in rows:
        i = int((minute - start).total_seconds() // 60)
        values[i] += total
        negatives[i] += negative
    return Series(start.timestamp(), 60, values, negatives)
