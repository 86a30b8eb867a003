"""Run the detector over a whole series, as the live beat would bucket by bucket."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from alerts.detector import Params, Series, shift_signals, spike_signals
from alerts.lifecycle import Event, Track, step


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


def detect(series: Series, p: Params, kinds: Iterable[str] = ("spike", "shift")) -> list[Detection]:
    """Every incident the live detector would have opened on this series, in time order."""
    found: list[Detection] = []
    for kind in kinds:
        signals = spike_signals(series, p) if kind == "spike" else shift_signals(series, p)
        track = Track()
        for i, signal in enumerate(signals):
            track, events = step(track, signal, series.time(i), p)
            start = series.start + i * series.bucket_s
            found.extend(_detection(i, start, e) for e in events if e.name == "fire")
    return sorted(found, key=lambda d: (d.at, d.kind))


def _detection(index: int, at: float, event: Event) -> Detection:
    s = event.signal
    return Detection(index, at, event.kind, event.severity, s.observed, s.baseline, s.z)


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
    slots = np.round((np.asarray(times) - times[0]) / bucket).astype(int)
    vals = np.zeros(slots[-1] + 1)
    vals[slots] = values
    negs = None
    if negatives is not None:
        negs = np.zeros(slots[-1] + 1)
        negs[slots] = negatives
    return Series(times[0], bucket, vals, negs)
