"""NAB (Numenta Anomaly Benchmark) scoring of binary detections, written from its rules.

A detection inside a labelled window earns a scaled sigmoid of its position (1.0 at the window's
start after NAB's division by the maximum, 0 at its end; only the best one per window counts);
one outside every window costs the false-positive weight times the sigmoid of its distance past
the previous window (full cost before the first window); a missed window costs the
false-negative weight. Rows in the probationary period (the first 15%, at most 750 rows) are
not scored. Normalised score = 100 * (S - S_null) / (S_perfect - S_null).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "low_fp": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
}


@dataclass(frozen=True)
class FileScore:
    raw: float
    null: float
    perfect: float
    tp: int
    fp: int
    fn: int


def scaled_sigmoid(position: float) -> float:
    """NAB's reward curve: ~0.987 at -1 (window start), 0 at 0 (end), -> -1 past the window."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_rows(n: int) -> int:
    return int(min(math.floor(0.15 * n), 0.15 * 5000))


def score_file(
    n_rows: int, windows: Sequence[tuple[int, int]], detections: Sequence[int], profile: str
) -> FileScore:
    """Score detections (row indices) against windows (inclusive row index pairs)."""
    weights = PROFILES[profile]
    probation = probation_rows(n_rows)
    scored_windows = [w for w in windows if w[1] >= probation]
    best: dict[int, float] = {}
    fp_total, fp = 0.0, 0
    for i in sorted(set(detections)):
        if i < probation:
            continue
        inside = next((k for k, (a, b) in enumerate(scored_windows) if a <= i <= b), None)
        if inside is not None:
            a, b = scored_windows[inside]
            width = b - a + 1
            value = scaled_sigmoid(-(b - i + 1) / width) / scaled_sigmoid(-1.0)
            best[inside] = max(best.get(inside, -math.inf), value * weights["tp"])
            continue
        fp += 1
        before = [w for w in scored_windows if w[1] < i]
        if not before:
            fp_total += -1.0 * weights["fp"]
        else:
            a, b = before[-1]
            fp_total += scaled_sigmoid((i - b) / (b - a)) * weights["fp"]
    misses = len(scored_windows) - len(best)
    raw = sum(best.values()) + fp_total - misses * weights["fn"]
    null = -len(scored_windows) * weights["fn"]
    perfect = len(scored_windows) * weights["tp"]
    return FileScore(raw, null, perfect, len(best), fp, misses)


def normalised(scores: Sequence[FileScore]) -> float:
    """NAB's normalised score over a corpus: 100 for perfect, 0 for never firing."""
    raw = sum(s.raw for s in scores)
    null = sum(s.null for s in scores)
    perfect = sum(s.perfect for s in scores)
    return 100.0 * (raw - null) / (perfect - null)
