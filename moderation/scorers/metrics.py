"""Benchmark metrics in plain numpy: F1, macro-F1, macro-recall, ROC AUC, calibration error."""

from __future__ import annotations

import itertools

import numpy as np


def f1(y: np.ndarray, pred: np.ndarray, positive: int = 1) -> float:
    """F1 of one class."""
    tp = float(np.sum((pred == positive) & (y == positive)))
    fp = float(np.sum((pred == positive) & (y != positive)))
    fn = float(np.sum((pred != positive) & (y == positive)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Unweighted mean of the per-class F1 over the classes present in `y`."""
    return float(np.mean([f1(y, pred, c) for c in np.unique(y)]))


def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    """Unweighted mean of the per-class recall (TweetEval sentiment's metric)."""
    return float(np.mean([np.mean(pred[y == c] == c) for c in np.unique(y)]))


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted as half)."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = score[order]
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def ece(y: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top-class probability, equal-width bins.

    `probs` is (n,) for a binary problem (probability of class 1) or (n, k).
    """
    if probs.ndim == 1:
        probs = np.stack([1 - probs, probs], axis=1)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)
