"""Test series: a steady daily rhythm with Poisson noise, in per-minute buckets."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from alerts.detector import Series
from alerts.models import MinuteCount


def rhythm(days: int, mean: float, seed: int = 1) -> np.ndarray:
    """Per-minute Poisson counts whose rate follows a daily sine around `mean`."""
    minutes = np.arange(days * 1440)
    rate = mean * (1.0 + 0.6 * np.sin(2 * np.pi * minutes / 1440))
    return np.random.default_rng(seed).poisson(rate).astype(float)


def series(values: np.ndarray, negatives: np.ndarray | None = None) -> Series:
    return Series(0.0, 60, values, negatives)


def fill_counts(
    session: Session,
    end: datetime,
    platform: str = "facebook",
    burst: int = 0,
    days: int = 8,
    rate: float = 4.0,
    share: float = 0.25,
) -> None:
    """Steady per-minute counts for `days` before `end`, `burst` extra negatives in the last 5."""
    rng = np.random.default_rng(5)
    start = end - timedelta(days=days)
    rows = []
    for i in range(days * 1440):
        total = int(rng.poisson(rate))
        negative = int(rng.binomial(total, share))
        if i >= days * 1440 - 5:
            total, negative = total + burst, negative + burst
        rows.append(
            {
                "platform": platform,
                "topic": "",
                "minute": start + timedelta(minutes=i),
                "total": total,
                "negative": negative,
                "toxic": 0,
            }
        )
    session.execute(insert(MinuteCount), rows)
