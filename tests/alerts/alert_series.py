"""Test series: a steady daily rhythm with Poisson noise, in per-minute buckets."""

from __future__ import annotations

import numpy as np

from alerts.detector import Series


def rhythm(days: int, mean: float, seed: int = 1) -> np.ndarray:
    """Per-minute Poisson counts whose rate follows a daily sine around `mean`."""
    minutes = np.arange(days * 1440)
    rate = mean * (1.0 + 0.6 * np.sin(2 * np.pi * minutes / 1440))
    return np.random.default_rng(seed).poisson(rate).astype(float)


def series(values: np.ndarray, negatives: np.ndarray | None = None) -> Series:
    return Series(0.0, 60, values, negatives)
