"""Run the detector over a whole series, as the live beat would bucket by bucket."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from alerts.detector import (
    Params,
    Partial,
    Series,
    Signal,
    shift_signals,
    spike_signals,
    spike_signals_ticks,
)
from alerts.lifecycle import FIRING, Event, Track, step


@dataclass(frozen=True)
class Detection:
    """A new incident: when it opened, its kind and severity, and the figures then."""

    index: int  # the bucket where it fired; `at` is that bucket's start, as in the input rows
    at: float
    kind: str
    severity: str
    observed: float
    baseline: float
    z: float
    seen_at: float = 0.0  # when the beat judged it (epoch seconds)


def detect(series: Series, p: Params, kinds: Iterable[str] = ("spike", "shift")) -> list[Detection]:
    """Every incident the live detector would have opened on this series, in time order."""
    found: list[Detection] = []
    for kind in kinds:
        signals = spike_signals(series, p) if kind == "spike" else shift_signals(series, p)
        track = Track()
        for i, signal in enumerate(signals):
            track, events = step(track, signal, series.time(i), p)
            start = series.start + i * series.bucket_s
            found.extend(
                _detection(i, start, e, series.time(i)) for e in events if e.name == "fire"
            )
    return sorted(found, key=lambda d: (d.at, d.kind))


def detect_ticks(
    series: Series,
    p: Params,
    partials: Sequence[Partial],
    kinds: Iterable[str] = ("spike", "shift"),
) -> list[Detection]:
    """As the live beat judges a bucket while it fills: `partials[k]` holds, for every bucket,
    what the k-th tick inside it has counted (the last entry is the whole bucket). Ticks are
    evenly spaced through the bucket."""
    found: list[Detection] = []
    for kind in kinds:
        if kind == "spike":
            per_tick = spike_signals_ticks(series, p, partials)
        else:
            per_tick = [shift_signals(series, p, partial=part) for part in partials]
        found.extend(replay_ticks(series, p, per_tick))
    return sorted(found, key=lambda d: (d.seen_at, d.kind))


def replay_ticks(
    series: Series, p: Params, per_tick: Sequence[Sequence[Signal]]
) -> list[Detection]:
    """The lifecycle over one kind's signals, `per_tick[k][i]` being the k-th tick inside bucket
    i (ticks evenly spaced): the incidents it opens, in time order."""
    found: list[Detection] = []
    ticks = len(per_tick)
    track = Track()
    for i in range(len(series.values)):
        start = series.start + i * series.bucket_s
        for k in range(ticks):
            signal = per_tick[k][i]
            if track.status != FIRING and not signal.active:
                continue  # nothing can happen: step() would return the track unchanged
            at = start + (k + 1) * series.bucket_s / ticks
            track, events = step(track, signal, at, p)
            found.extend(_detection(i, start, e, at) for e in events if e.name == "fire")
    return found


def _detection(index: int, at: float, event: Event, seen_at: float) -> Detection:
    s = event.signal
    return Detection(index, at, event.kind, event.severity, s.observed, s.baseline, s.z, seen_at)


# Ten years of minutes: the most buckets a back-test series holds (80 MB a column).
MAX_BUCKETS = 5_256_000


def series_from_rows(
    times: list[float], values: list[float], negatives: list[float] | None
) -> Series:
    """Build a Series from regular timestamped rows (bucket size from the median step)."""
    if len(times) < 2:
        raise ValueError("need at least two rows")
    steps = np.diff(np.asarray(times))
    if np.any(steps <= 0):
        raise ValueError("timestamps must increase")
    bucket = int(np.median(steps))
    if bucket < 1:
        raise ValueError("rows are less than a second apart: buckets are whole seconds")
    span = round((times[-1] - times[0]) / bucket) + 1
    if span > MAX_BUCKETS:
        # Gaps are filled with zeros: two rows years apart would allocate gigabytes.
        raise ValueError(
            f"the rows span {span:,} buckets of {bucket} s; at most {MAX_BUCKETS:,} (a gap?)"
        )
    slots = np.round((np.asarray(times) - times[0]) / bucket).astype(int)
    vals = np.zeros(slots[-1] + 1)
    vals[slots] = values
    negs = None
    if negatives is not None:
        negs = np.zeros(slots[-1] + 1)
        negs[slots] = negatives
    return Series(times[0], bucket, vals, negs)
