"""Spike and sentiment-shift detection over count series: pure functions, no clock, no database.

The same code runs live (the beat evaluates the last bucket of each platform's series, the
bucket in progress included) and in back-tests (`vigie alerts detect FILE.csv`,
`bench/alerts.py`), whatever the bucket size.

Spike, several windows at once (`min_window_s` doubling up to `window_s`: 1, 2, 4, 8 and
15 min by default), so a sudden crisis is seen from its first minutes and a slower one from
longer windows:

- Baseline rate: the weighted median, over the previous `history_days` days at the same time of
  day (offsets within `neighbourhood_s`; the same weekday counts twice), of the rate over
  `base_window_s` (30 min). A median over ~30 past windows follows the daily and weekly rhythm
  and ignores past spikes; a long base window makes the rate precise even for 1-minute windows.
  Times today's level (`level_s`: the 3 h before the windows against the same hours on past
  days, clipped to [0.75, 2], once 3 past days exist): a generally busier day is not a spike,
  a quieter one makes a crisis stand out sooner. Expected count in a window: mu = rate x level x window.
- Significance: overdispersed Poisson. The dispersion phi = max(1, (1.4826 MAD)^2 / mu) of the
  same-length past windows near the same time of day, around their own day's median; z is the normal deviate of the Poisson upper
  tail of the scaled counts x/phi against mu/phi (Wilson-Hilferty; z 5 ~ p 3e-7).
- A window fires when its count >= `min_count` and >= `min_count` per `min_count_s` (minimum
  volume: 10, and 10 per 15 min of window), >= `min_ratio` x mu, z >=
  `min_z`, and (with negatives) at least `crisis_share` of its extra comments are negative.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DAY_S = 86_400


@dataclass(frozen=True)
class Params:
    """Detector settings; times in seconds so one set works for any bucket size."""

    window_s: int = 900  # the longest observed window
    min_window_s: int = 60  # the shortest; windows double from it up to window_s
    base_window_s: int = 1800  # the baseline rate is measured over windows this long
    history_days: int = 7  # baseline lookback (same time of day)
    neighbourhood_s: int = 1800  # +/- offsets around the same time of day
    level_s: int = 10800  # today's level: the last 3 h against the same hours on past days
    level_min: float = 0.75  # ... kept between these times the usual (level_s 0: off);
    level_max: float = 2.0  # a lower baseline is the risky side, so it moves less
    level_days: int = 3  # ... and only with this many past days to compare with
    min_days: int = 1  # no alert before this much history
    # spike
    min_count: int = 10  # minimum volume: events in the window, and per min_count_s of it
    min_count_s: int = 900
    min_ratio: float = 2.0  # observed >= ratio * baseline
    min_z: float = 4.5  # significance (normal deviate of the Poisson tail)
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
class Partial:
    """What a tick has counted so far of the bucket it judges (one entry per index judged), and
    how much of that bucket has elapsed: the expected counts are prorated to match.

    The live beat judges the minute in progress; back-tests replay the beat inside a bucket.
    """

    values: np.ndarray
    negatives: np.ndarray | None = None
    fraction: float = 1.0  # elapsed share of the bucket being judged


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
    window_s: int = 0  # the window the figures are over

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


def windows(bucket_s: int, p: Params) -> list[int]:
    """The observed window lengths in buckets: doubling from the shortest up to the longest."""
    hi = max(1, round(p.window_s / bucket_s))
    w = min(hi, max(1, round(p.min_window_s / bucket_s)))
    out = []
    while w < hi:
        out.append(w)
        w *= 2
    return [*out, hi]


def _day_lags(bucket_s: int, p: Params, offsets: range) -> tuple[np.ndarray, np.ndarray]:
    per_day = DAY_S // bucket_s
    lags, weights = [], []
    for day in range(1, p.history_days + 1):
        for off in offsets:
            lags.append(day * per_day + off)
            weights.append(2.0 if day % 7 == 0 else 1.0)
    return np.array(lags, dtype=int), np.array(weights)


def _past(ws: np.ndarray, indices: np.ndarray, lags: np.ndarray, w: int) -> np.ndarray:
    """Matrix of past window sums (rows: indices, columns: lags); NaN where not available."""
    src = indices[:, None] - lags[None, :]
    ok = (src >= w - 1) & (src < len(ws))
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


def seasonal_rate(x: np.ndarray, idx: np.ndarray, bucket_s: int, p: Params) -> np.ndarray:
    """Usual events per bucket around the time of day of each index (NaN without history)."""
    b = max(1, round(p.base_window_s / bucket_s))
    k = p.neighbourhood_s // bucket_s
    step = max(1, b // 2)
    # Windows of b buckets centred on the same time of day, within +/- k buckets of it.
    lags, weights = _day_lags(bucket_s, p, range(-k - b // 2, k - b // 2 + 1, step))
    return _weighted_median(_past(window_sums(x, b), idx, lags, b), weights) / b


def _dispersion(ws: np.ndarray, idx: np.ndarray, w: int, mu: np.ndarray, bucket_s: int, p: Params):
    """phi >= 1: how much more windows vary than Poisson counts would, around their day's level.

    Deviations of the same-length windows near the same time of day from their own day's median
    (a busier or quieter day is the level's business, not noise), robustly (MAD).
    """
    k = p.neighbourhood_s // bucket_s
    step = max(w, k // 3, 1)
    offsets = range(-k, k + 1, step)
    lags, _weights = _day_lags(bucket_s, p, offsets)
    past = _past(ws, idx, lags, w)
    by_day = past.reshape(-1, len(offsets))  # rows: (index, day)
    day_median = _weighted_median(by_day, np.ones(len(offsets)))
    dev = np.abs(by_day - day_median[:, None]).reshape(len(idx), -1)
    mad = np.nan_to_num(_weighted_median(dev, np.ones(dev.shape[1])))
    return np.maximum(1.0, (1.4826 * mad) ** 2 / np.maximum(mu, 1.0))


def day_level(x: np.ndarray, idx: np.ndarray, gap: int, bucket_s: int, p: Params) -> np.ndarray:
    """Today's level: the last `level_s` before the windows against the same span on past days.

    1 when off, or with fewer than `level_days` past days; clipped to [level_min, level_max].
    """
    r = round(p.level_s / bucket_s)
    if r <= 0:
        return np.ones(len(idx))
    ws = window_sums(x, r)
    end = idx - gap  # the span ends just before the longest window
    now = np.where(end >= r - 1, ws[np.maximum(end, 0)], np.nan)
    lags, weights = _day_lags(bucket_s, p, range(0, 1))
    past = _past(ws, np.maximum(end, 0), lags, r)
    usual = _weighted_median(past, weights)
    enough = (~np.isnan(past)).sum(axis=1) >= p.level_days
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(enough & (usual > 0) & ~np.isnan(now), now / usual, 1.0)
    return np.clip(np.nan_to_num(level, nan=1.0), p.level_min, p.level_max)


def poisson_z(x: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Normal deviate of an overdispersed Poisson upper tail: x events where mu were expected.

    P(X >= x) for X ~ Poisson(mu) is P(chi2 with 2x degrees <= 2 mu); the Wilson-Hilferty cube
    root makes that chi-square normal (within ~0.2 of the exact deviate out to 1e-9 tails,
    where the Freeman-Tukey or (x - mu)/sqrt(mu) deviates are off by 1 or more). Counts are
    divided by the dispersion phi first (quasi-Poisson).
    """
    xs = np.maximum(x / phi, 1e-9)
    ms = mu / phi
    return 3.0 * np.sqrt(xs) * (1.0 - 1.0 / (9.0 * xs) - np.cbrt(ms / xs))


def _observed(x: np.ndarray, w: int, idx: np.ndarray, partial: np.ndarray | None) -> np.ndarray:
    ws = window_sums(x, w)[idx]
    if partial is not None:  # the bucket being judged holds only what is counted so far
        ws = ws - x[idx] + partial
    return ws


def _enough_history(series: Series, indices: np.ndarray, p: Params) -> np.ndarray:
    return indices >= p.min_days * (DAY_S // series.bucket_s)


def spike_signals(
    series: Series, p: Params, indices: np.ndarray | None = None, partial: Partial | None = None
) -> list[Signal]:
    """Spike signal at each index: negative volume (or all volume) against its baseline.

    Every window of `windows()` is tested; the signal is active when any is, and its figures
    are those of the most significant active window (the longest one when none is).
    """
    return spike_signals_ticks(series, p, [partial], indices)[0]


def spike_signals_ticks(
    series: Series,
    p: Params,
    partials: Sequence[Partial | None],
    indices: np.ndarray | None = None,
) -> list[list[Signal]]:
    """`spike_signals` for several views of the bucket being judged; baselines computed once."""
    idx = np.arange(len(series.values)) if indices is None else np.asarray(indices)
    neg = series.negatives is not None
    x = np.asarray(series.negatives if neg else series.values, dtype=float)
    tot = np.asarray(series.values, dtype=float)
    rate = seasonal_rate(x, idx, series.bucket_s, p)
    ok = _enough_history(series, idx, p) & ~np.isnan(rate)
    rate = np.nan_to_num(rate)
    tot_rate = np.nan_to_num(seasonal_rate(tot, idx, series.bucket_s, p)) if neg else rate
    ws_list = windows(series.bucket_s, p)
    rate = rate * day_level(x, idx, ws_list[-1], series.bucket_s, p)
    if neg:
        tot_rate = tot_rate * day_level(tot, idx, ws_list[-1], series.bucket_s, p)
    base = []
    for w in ws_list:
        ws = window_sums(x, w)
        mu = w * rate
        phi = _dispersion(ws, idx, w, mu, series.bucket_s, p)
        novel = None
        if p.novelty_days > 0:
            span = round(p.novelty_days * DAY_S / series.bucket_s)
            novel = p.novelty_factor * trailing_max(ws, span, w)[idx]
        t_mu = w * tot_rate
        base.append((w, mu, phi, novel, t_mu))
    out = []
    for partial in partials:
        part = None if partial is None else (partial.negatives if neg else partial.values)
        rows: list[tuple[np.ndarray, ...]] = []
        frac = 1.0 if partial is None else partial.fraction
        for w, mu_full, phi, novel, t_mu_full in base:
            mu = mu_full * (w - 1 + frac) / w  # the window so far: w - 1 buckets and a fraction
            t_mu = t_mu_full * (w - 1 + frac) / w
            obs = _observed(x, w, idx, part)
            z = poisson_z(obs, mu, phi)
            floor = p.min_count * max(1.0, w * series.bucket_s / max(p.min_count_s, 1))
            active = ok & (obs >= floor) & (obs >= p.min_ratio * np.maximum(mu, 1.0))
            active &= z >= p.min_z
            if novel is not None:
                active &= obs > novel
            if neg:  # a crisis adds mostly negative comments; a viral-but-positive burst does not
                t_obs = _observed(tot, w, idx, None if partial is None else partial.values)
                excess_all = t_obs - t_mu
                active &= (excess_all <= 0) | (obs - mu >= p.crisis_share * excess_all)
            rows.append((active, obs, mu, z))
        out.append(_pick(rows, ws_list, ok, rate, series.bucket_s, p))
    return out


def _pick(
    rows: list[tuple[np.ndarray, ...]],
    ws_list: list[int],
    ok: np.ndarray,
    rate: np.ndarray,
    bucket_s: int,
    p: Params,
) -> list[Signal]:
    active_all = np.array([r[0] for r in rows])
    z_all = np.array([r[3] for r in rows])
    any_active = active_all.any(axis=0)
    pick = np.where(
        any_active, np.argmax(np.where(active_all, z_all, -np.inf), axis=0), len(rows) - 1
    )
    cols = np.arange(len(ok))
    obs_p = np.array([r[1] for r in rows])[pick, cols]
    mu_p = np.array([r[2] for r in rows])[pick, cols]
    z_p = z_all[pick, cols]
    # Kept open while the longest window stays above resolve_ratio x its seasonal level.
    long_obs, long_w = rows[-1][1], ws_list[-1]
    sustained = ok & (long_obs >= p.resolve_ratio * np.maximum(long_w * rate, 1.0))
    sustained &= long_obs >= p.min_count / 2
    win_s = np.array(ws_list)[pick] * bucket_s
    return [
        Signal("spike", bool(a), bool(s), float(o), float(b), float(zz), window_s=int(ww))
        for a, s, o, b, zz, ww in zip(
            any_active.tolist(),
            sustained.tolist(),
            obs_p.tolist(),
            mu_p.tolist(),
            z_p.tolist(),
            win_s.tolist(),
            strict=True,
        )
    ]


def shift_signals(
    series: Series, p: Params, indices: np.ndarray | None = None, partial: Partial | None = None
) -> list[Signal]:
    """Sentiment-shift signal: the negative share against its usual share at that time."""
    if series.negatives is None:
        return []
    n = len(series.values)
    idx = np.arange(n) if indices is None else np.asarray(indices)
    w = max(1, round(p.shift_window_s / series.bucket_s))
    tot_x = np.asarray(series.values, dtype=float)
    neg_x = np.asarray(series.negatives, dtype=float)
    tot_rate = seasonal_rate(tot_x, idx, series.bucket_s, p)
    neg_rate = seasonal_rate(neg_x, idx, series.bucket_s, p)
    tot = _observed(tot_x, w, idx, None if partial is None else partial.values)
    neg = _observed(neg_x, w, idx, None if partial is None else partial.negatives)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.clip(np.where(tot_rate > 0, neg_rate / tot_rate, np.nan), 0.01, 0.99)
        share = np.where(tot > 0, neg / np.maximum(tot, 1), 0.0)
    z = (neg - tot * p0) / np.sqrt(tot * p0 * (1 - p0) + 1e-9)
    ok = _enough_history(series, idx, p) & ~np.isnan(p0)
    active = ok & (tot >= p.shift_min_count) & (share - p0 >= p.shift_min_delta)
    active &= np.nan_to_num(z) >= p.shift_min_z
    sustained = ok & (share - p0 >= p.shift_min_delta / 2) & (tot >= p.shift_min_count / 2)
    neg_base = np.nan_to_num(neg_rate) * w
    return [
        Signal(
            "shift",
            bool(a),
            bool(s),
            float(o),
            float(b),
            float(zz),
            float(sh),
            float(q),
            window_s=w * series.bucket_s,
        )
        for a, s, o, b, zz, sh, q in zip(
            active,
            sustained,
            neg,
            neg_base,
            np.nan_to_num(z),
            share,
            np.nan_to_num(p0),
            strict=True,
        )
    ]
