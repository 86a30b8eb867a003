"""A synthetic month of per-minute comment counts per platform, with labelled crises.

Daily rhythm (lunch and evening peaks), quieter weekends, overdispersed noise, slow drift of
the negative share, viral-but-positive bursts (must not alert) and negative crises of several
sizes (size = negative rate over its usual rate). One warm-up week precedes the scored month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTES_PER_DAY = 1440
PLATFORMS = {"facebook": 12.0, "instagram": 5.0, "x": 25.0}  # mean comments per minute
CRISIS_SIZES = (2.0, 3.0, 5.0, 10.0)


@dataclass(frozen=True)
class Event:
    start: int  # minute index
    end: int
    size: float
    kind: str  # "crisis" or "viral"


@dataclass(frozen=True)
class Month:
    platform: str
    values: np.ndarray
    negatives: np.ndarray
    events: list[Event]
    warmup: int  # minutes of history before the scored month


def _rhythm(minutes: np.ndarray) -> np.ndarray:
    hour = (minutes % MINUTES_PER_DAY) / 60.0
    day = (minutes // MINUTES_PER_DAY) % 7
    daily = 0.25 + 0.9 * np.exp(-((hour - 13) ** 2) / 8) + 1.1 * np.exp(-((hour - 20.5) ** 2) / 6)
    weekly = np.where(day >= 5, 0.7, 1.0)
    return daily * weekly


def _place(
    rng: np.random.Generator, taken: list[tuple[int, int]], lo: int, hi: int, length: int
) -> int:
    for _ in range(1000):
        start = int(rng.integers(lo, hi - length))
        if all(start + length + 360 < a or start > b + 360 for a, b in taken):
            taken.append((start, start + length))
            return start
    raise RuntimeError("no room left for an event")


def month(platform: str, seed: int, days: int = 35, warmup_days: int = 7) -> Month:
    """Generate one platform's month (plus warm-up) deterministically from `seed`."""
    rng = np.random.default_rng(seed)
    n = days * MINUTES_PER_DAY
    minutes = np.arange(n)
    mean = PLATFORMS[platform] * _rhythm(minutes) / _rhythm(minutes).mean()
    share = np.clip(0.15 + 0.04 * np.sin(minutes / (MINUTES_PER_DAY * 5.3)), 0.05, 0.5)
    extra_total = np.zeros(n)
    extra_neg = np.zeros(n)
    events: list[Event] = []
    taken: list[tuple[int, int]] = []
    lo = warmup_days * MINUTES_PER_DAY
    for size in CRISIS_SIZES:
        for _ in range(2):
            length = int(rng.integers(60, 180))
            start = _place(rng, taken, lo, n, length)
            ramp = np.minimum(1.0, (np.arange(length) + 1) / 5.0)
            added = (size - 1.0) * (mean * share)[start : start + length] * ramp
            extra_neg[start : start + length] += added
            extra_total[start : start + length] += added * 1.25  # some neutral replies too
            events.append(Event(start, start + length, size, "crisis"))
    for _ in range(4):
        length = int(rng.integers(30, 120))
        start = _place(rng, taken, lo, n, length)
        boost = float(rng.uniform(3.0, 8.0))
        shape = np.sin(np.linspace(0, np.pi, length))
        added = (boost - 1.0) * mean[start : start + length] * shape
        extra_total[start : start + length] += added
        extra_neg[start : start + length] += added * 0.05  # mostly positive
        events.append(Event(start, start + length, boost, "viral"))
    # Gamma-Poisson noise: overdispersed like real comment streams.
    lam = rng.gamma(20.0, (mean + extra_total) / 20.0)
    total = rng.poisson(lam)
    neg_share = np.clip((mean * share + extra_neg) / (mean + extra_total), 0, 1)
    negatives = rng.binomial(total, neg_share)
    return Month(
        platform,
        total.astype(float),
        negatives.astype(float),
        sorted(events, key=lambda e: e.start),
        lo,
    )
