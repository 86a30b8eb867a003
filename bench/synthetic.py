"""A synthetic month of per-minute comment counts per platform, with labelled crises.

Rates are those of a mid-size brand's accounts (7,000 to 22,000 comments a day per
platform: 5 to 15 a minute on average, ~0.75 to 2.3 of them negative), with a daily rhythm
(lunch and evening peaks, quiet nights at ~1/4 of the mean), quieter weekends, a day-to-day
level that wanders (+/- 15%), overdispersed minute noise, slow drift of the negative share,
viral-but-positive bursts (must not alert) and negative crises of several sizes (size = negative
rate over its usual rate) that ramp up linearly over 2 to 10 minutes before holding. Crises and
bursts start at times drawn in proportion to the activity (people are awake), so few fall in the
night's trough. One warm-up week precedes the scored month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alerts.detector import Partial

MINUTES_PER_DAY = 1440
PLATFORMS = {"facebook": 8.0, "instagram": 5.0, "x": 15.0}  # mean comments per minute
CRISIS_SIZES = (2.0, 3.0, 5.0, 10.0)
CRISES_PER_SIZE = 3
RAMP_MINUTES = (2, 10)


@dataclass(frozen=True)
class Event:
    start: int  # minute index
    end: int
    size: float
    kind: str  # "crisis" or "viral"
    ramp: int = 0  # minutes to full size


@dataclass(frozen=True)
class Month:
    platform: str
    values: np.ndarray
    negatives: np.ndarray
    events: list[Event]
    warmup: int  # minutes of history before the scored month
    seed: int = 0
    # The generator's own expected counts per minute without any event (the "true baseline"):
    # only for bench/alerts_bound.py, which asks what a perfect baseline would buy.
    usual_values: np.ndarray | None = None
    usual_negatives: np.ndarray | None = None


def _rhythm(minutes: np.ndarray) -> np.ndarray:
    hour = (minutes % MINUTES_PER_DAY) / 60.0
    day = (minutes // MINUTES_PER_DAY) % 7
    daily = 0.25 + 0.9 * np.exp(-((hour - 13) ** 2) / 8) + 1.1 * np.exp(-((hour - 20.5) ** 2) / 6)
    weekly = np.where(day >= 5, 0.7, 1.0)
    return daily * weekly


def _place(
    rng: np.random.Generator,
    taken: list[tuple[int, int]],
    lo: int,
    hi: int,
    length: int,
    weight: np.ndarray,
) -> int:
    """A free start minute, drawn in proportion to `weight` (people's activity)."""
    prob = weight[lo : hi - length] / weight[lo : hi - length].sum()
    for _ in range(1000):
        start = lo + int(rng.choice(len(prob), p=prob))
        if all(start + length + 360 < a or start > b + 360 for a, b in taken):
            taken.append((start, start + length))
            return start
    raise RuntimeError("no room left for an event")


def month(
    platform: str, seed: int, days: int = 35, warmup_days: int = 7, volume: float = 1.0
) -> Month:
    """Generate one platform's month (plus warm-up) deterministically from `seed`.

    `volume` multiplies the platform's usual rate (1: the mid-size brand above; 10: a brand
    with ten times the comments), everything else alike.
    """
    rng = np.random.default_rng(seed)
    n = days * MINUTES_PER_DAY
    minutes = np.arange(n)
    level = np.repeat(np.exp(rng.normal(0.0, 0.15, days)), MINUTES_PER_DAY)
    mean = volume * PLATFORMS[platform] * level * _rhythm(minutes) / _rhythm(minutes).mean()
    share = np.clip(0.15 + 0.04 * np.sin(minutes / (MINUTES_PER_DAY * 5.3)), 0.05, 0.5)
    extra_total = np.zeros(n)
    extra_neg = np.zeros(n)
    events: list[Event] = []
    taken: list[tuple[int, int]] = []
    lo = warmup_days * MINUTES_PER_DAY
    for size in CRISIS_SIZES:
        for _ in range(CRISES_PER_SIZE):
            length = int(rng.integers(60, 180))
            ramp_min = int(rng.integers(RAMP_MINUTES[0], RAMP_MINUTES[1] + 1))
            start = _place(rng, taken, lo, n, length, mean)
            ramp = np.minimum(1.0, (np.arange(length) + 1) / ramp_min)
            added = (size - 1.0) * (mean * share)[start : start + length] * ramp
            extra_neg[start : start + length] += added
            extra_total[start : start + length] += added * 1.25  # some neutral replies too
            events.append(Event(start, start + length, size, "crisis", ramp_min))
    for _ in range(4):
        length = int(rng.integers(30, 120))
        start = _place(rng, taken, lo, n, length, mean)
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
        seed,
        mean,
        mean * share,
    )


def ticks(m: Month, per_minute: int) -> list[Partial]:
    """What each of `per_minute` evenly spaced beat ticks has counted of its minute so far.

    Comments arrive uniformly within their minute; the last tick sees the whole minute.
    """
    rng = np.random.default_rng(m.seed + 1_000_003)
    even = [1.0 / per_minute] * per_minute
    neg = np.cumsum(rng.multinomial(m.negatives.astype(np.int64), even), axis=1)
    rest = np.cumsum(rng.multinomial((m.values - m.negatives).astype(np.int64), even), axis=1)
    return [
        Partial(
            (neg[:, k] + rest[:, k]).astype(float), neg[:, k].astype(float), (k + 1) / per_minute
        )
        for k in range(per_minute)
    ]
