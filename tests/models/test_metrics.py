import numpy as np

from moderation.scorers import metrics


def test_it_computes_f1_of_the_positive_class() -> None:
    """F1 = 2TP / (2TP + FP + FN)."""
    y, pred = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1])
    assert metrics.f1(y, pred) == 2 * 2 / (2 * 2 + 1 + 1)


def test_it_computes_macro_recall_as_the_mean_recall_per_class() -> None:
    """Macro-recall averages each class's recall, whatever the class sizes."""
    y, pred = np.array([0, 0, 0, 0, 1, 2]), np.array([0, 0, 0, 0, 0, 2])
    assert metrics.macro_recall(y, pred) == (1 + 0 + 1) / 3


def test_it_counts_ties_as_half_in_auc() -> None:
    """A perfectly ranked set has AUC 1 and tied scores count half."""
    assert metrics.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert metrics.roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_it_reports_zero_calibration_error_when_confidence_matches_accuracy() -> None:
    """ECE is 0 when 80%-confident predictions are right 80% of the time."""
    probs = np.full(10, 0.8)
    y = np.array([1] * 8 + [0] * 2)
    assert abs(metrics.ece(y, probs)) < 1e-9
    assert abs(metrics.ece(np.ones(10, dtype=int), probs) - 0.2) < 1e-9
