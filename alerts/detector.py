"""Spike and sentiment-shift detection over count series: pure functions, no clock, no database.

The same code runs live (the beat evaluates the last bucket of each platform's series) and in
back-tests (`vigie alerts detect FILE.csv`, `bench/alerts.py`), whatever the bucket size.

Baseline: for the window ending at bucket t, the median of the same-length windows at the same
time of day over the previous `history_days` days, each taken at several offsets within
`neighbourhood_s` of that time. A median over ~100 past windows follows the daily rhythm,
leans on the same weekday (weighted twice) for the weekly rhythm, and ignores past spikes,
which sit in a few of those windows only.

Significance: an overdispersed Poisson z-score, z = (observed - baseline) / sigma with
sigma = max(sqrt(baseline + 1), 1.4826 * MAD of the past windows). Minimum volume: nothing
alerts below `min_count` events in the window, whatever the ratio (see docs/alerts.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

DAY_S = 86_400


@dataclass(frozen=True)
class Params:
    """Detector settings; times in seconds so one set works for any bucket size."""

    window_s: int = 300  # the observed window
    history_days: int = 7  # baseline lookback (same time of day)
    neighbourhood_s: int = 1800  # +/- offsets around the same time of day
    min_days: int = 1  # no alert before this much history
    # spike
    min_count: int = 10  # minimum volume: events in the window
    min_ratio: float = 3.0  # observed >= ratio * baseline
    min_z: float = 5.0  # significance
    fast_window_s: int = 60  # a short window too, for sudden bursts (0: off)
    fast_min_z: float = 8.0
    crisis_share: float = 0.5  # with negatives: share of the excess that must be negative
    novelty_days: float = 0.0  # if > 0: must also beat every window of the last N days
    novelty_factor: float = 1.0
    # sentiment shift
    shift_window_s: int = 900
    shift_min_count: int = 60
    shift_min_delta: float = 0.2  # absolute rise of the negative share
    shift_min_z: float = 4.0
    # lifecycle
    resolve_ratio: float = 1.5  # still active while observed >= ratio * baseline
    resolve_s: int = 1800  # resolved after this long inactive
    cooldown_s: int = 3600  # after resolution, a new firing reopens the same incident


@dataclass(frozen=True)
class Series:
    """Counts per bucket: `values` (all comments) and optionally `negatives`."""

    start: float  # epoch seconds of the first bucket's start
    bucket_s: int
    values: np.ndarray
    negatives: np.ndarray | None = None

    def time(self, index: int) -> float:
        """Epoch seconds at the end of bucket `index` (when it is complete)."""
        return self.start + (index + 1) * self.bucket_s


@dataclass(frozen=True)
class Signal:
    """What the detector sees at one bucket, for one kind."""

    kind: str  # "spike" or "shift"
    active: bool  # the alert condition holds
    sustained: bool  # still above the resolve level (keeps a firing alert open)
    observed: float
    baseline: float
    z: float
    share: float | None = None
    baseline_share: float | None = None

    @property
    def ratio(self) -> float:
        return self.observed / max(self.baseline, 1.0)


def window_sums(x: np.ndarray, w: int) -> np.ndarray:
    """Sum of the last `w` buckets at each index (shorter at the start)."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    idx = np.arange(len(x))
    return c[idx + 1] - c[np.maximum(0, idx + 1 - w)]


def trailing_max(ws: np.ndarray, span: int, gap: int) -> np.ndarray:
    """At each index t, the max of ws over [t - gap - span, t - gap) (0 when empty)."""
    out = np.zeros(len(ws))
    window: deque[int] = deque()
    for t in range(len(ws)):
        j = t - gap  # newest index allowed
        if j >= 0:
            while window and ws[window[-1]] <= ws[j]:
                window.pop()
            window.append(j)
        while window and window[0] < t - gap - span:
            window.popleft()
        out[t] = ws[window[0]] if window else 0.0
    return out


def _lags(bucket_s: int, w: int, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Lags (in buckets) of the past windows the baseline uses, and their weights."""
    per_day = DAY_S // bucket_s
    k = max(0, p.neighbourhood_s // max(w * bucket_s, 1))
    lags, weights = [], []
    for day in range(1, p.history_days + 1):
        for off in range(-k, k + 1):
            lags.append(day * per_day + off * w)
            weights.append(2.0 if day % 7 == 0 else 1.0)
    return np.array(lags, dtype=int), np.array(weights)


def _past(ws: np.ndarray, indices: np.ndarray, lags: np.ndarray, w: int) -> np.ndarray:
    """Matrix of past window sums (rows: indices, columns: lags); NaN where not available."""
    src = indices[:, None] - lags[None, :]
    ok = src >= w - 1
    out = np.full(src.shape, np.nan)
    out[ok] = ws[src[ok]]
    return out


def _weighted_median(m: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted median ignoring NaN."""
    order = np.argsort(np.where(np.isnan(m), np.inf, m), axis=1)
    vals = np.take_along_axis(m, order, axis=1)
    wts = np.where(np.isnan(vals), 0.0, weights[order])
    cum = np.cumsum(wts, axis=1)
    half = cum[:, -1:] / 2.0
    pos = np.argmax(cum >= half, axis=1)
    med = vals[np.arange(len(m)), pos]
    return np.where(cum[:, -1] > 0, med, np.nan)


def _enough_history(series: Series, indices: np.ndarray, p: Params) -> np.ndarray:
    return indices >= p.min_days * (DAY_S // series.bucket_s)


def spike_signals(series: Series, p: Params, indices: np.ndarray | None = None) -> list[Signal]:
    """Spike signal at each index: negative volume (or all volume) against its baseline.

    Two windows: the main one, and a short one with a stricter z that sees sudden bursts sooner.
    """
    idx = np.arange(len(series.values)) if indices is None else np.asarray(indices)
    main = _spike(series, p, idx, p.window_s, p.min_z)
    if p.fast_window_s <= 0 or round(p.fast_window_s / series.bucket_s) == round(
        p.window_s / series.bucket_s
    ):
        chosen = main
    else:
        fast = _spike(series, p, idx, p.fast_window_s, p.fast_min_z)
        use_fast = fast[0] & ~main[0]
        chosen = tuple(np.where(use_fast, f, m) for f, m in zip(fast, main, strict=True))
        chosen = (main[0] | fast[0], main[1] | fast[1], *chosen[2:])
    active, sustained, obs, base, z = chosen
    return [
        Signal("spike", bool(a), bool(s), float(o), float(b), float(zz))
        for a, s, o, b, zz in zip(active, sustained, obs, base, z, strict=True)
    ]


def _spike(
    series: Series, p: Params, idx: np.ndarray, window_s: int, min_z: float
) -> tuple[np.ndarray, ...]:
    w = max(1, round(window_s / series.bucket_s))
    target = series.negatives if series.negatives is not None else series.values
    ws = window_sums(np.asarray(target, dtype=float), w)
    lags, weights = _lags(series.bucket_s, w, p)
    past = _past(ws, idx, lags, w)
    base = _weighted_median(past, weights)
    mad = _weighted_median(np.abs(past - base[:, None]), weights)
    sigma = np.maximum(np.sqrt(np.nan_to_num(base) + 1.0), 1.4826 * np.nan_to_num(mad))
    obs = ws[idx]
    z = (obs - np.nan_to_num(base)) / sigma
    ok = _enough_history(series, idx, p) & ~np.isnan(base)
    active = ok & (obs >= p.min_count) & (obs >= p.min_ratio * np.maximum(base, 1.0))
    active &= z >= min_z
    if p.novelty_days > 0:
        span = round(p.novelty_days * DAY_S / series.bucket_s)
        active &= obs > p.novelty_factor * trailing_max(ws, span, w)[idx]
    if series.negatives is not None:
        active &= _excess_is_negative(series, idx, w, lags, weights, obs, base, p)
    sustained = ok & (obs >= p.resolve_ratio * np.maximum(base, 1.0)) & (obs >= p.min_count / 2)
    return active, sustained, obs, np.nan_to_num(base), z


def _excess_is_negative(
    series: Series,
    idx: np.ndarray,
    w: int,
    lags: np.ndarray,
    weights: np.ndarray,
    neg_obs: np.ndarray,
    neg_base: np.ndarray,
    p: Params,
) -> np.ndarray:
    """A crisis adds mostly negative comments; a viral-but-positive burst does not."""
    ws = window_sums(np.asarray(series.values, dtype=float), w)
    base = np.nan_to_num(_weighted_median(_past(ws, idx, lags, w), weights))
    excess_all = ws[idx] - base
    excess_neg = neg_obs - np.nan_to_num(neg_base)
    return (excess_all <= 0) | (excess_neg >= p.crisis_share * excess_all)


def shift_signals(series: Series, p: Params, indices: np.ndarray | None = None) -> list[Signal]:
    """Sentiment-shift signal: the negative share against its usual share at that time."""
    if series.negatives is None:
        return []
    n = len(series.values)
    idx = np.arange(n) if indices is None else np.asarray(indices)
    w = max(1, round(p.shift_window_s / series.bucket_s))
    tot = window_sums(np.asarray(series.values, dtype=float), w)
    neg = window_sums(np.asarray(series.negatives, dtype=float), w)
    lags, weights = _lags(series.bucket_s, w, p)
    tot_base = _weighted_median(_past(tot, idx, lags, w), weights)
    neg_base = _weighted_median(_past(neg, idx, lags, w), weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.clip(np.where(tot_base > 0, neg_base / tot_base, np.nan), 0.01, 0.99)
        share = np.where(tot[idx] > 0, neg[idx] / np.maximum(tot[idx], 1), 0.0)
    z = (neg[idx] - tot[idx] * p0) / np.sqrt(tot[idx] * p0 * (1 - p0) + 1e-9)
    ok = _enough_history(series, idx, p) & ~np.isnan(p0)
    active = ok & (tot[idx] >= p.shift_min_count) & (share - p0 >= p.shift_min_delta)
    active &= np.nan_to_num(z) >= p.shift_min_z
    sustained = ok & (share - p0 >= p.shift_min_delta / 2) & (tot[idx] >= p.shift_min_count / 2)
    return [
        Signal(
            "shift",
            bool(a),
            bool(s),
            float(o),
            float(np.nan_to_num(b)),
            float(zz),
            float(sh),
            float(q),
        )
        for a, s, o, b, zz, sh, q in zip(
            active,
            sustained,
            neg[idx],
            neg_base,
            np.nan_to_num(z),
            share,
            np.nan_to_num(p0),
            strict=True,
        )
    ]
