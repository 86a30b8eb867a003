import math

import pytest

from alerts.nab import normalised, probation_rows, scaled_sigmoid, score_file

WINDOWS = [(2000, 2099), (5000, 5099)]


def test_it_rewards_the_window_start_fully():
    """Firing at each window's start is the perfect score, 100 normalised."""
    s = score_file(10_000, WINDOWS, [2000, 5000], "standard")
    assert s.raw == pytest.approx(2.0) and normalised([s]) == pytest.approx(100.0)


def test_it_scores_never_firing_as_zero():
    """The null detector scores 0 normalised."""
    assert normalised([score_file(10_000, WINDOWS, [], "standard")]) == pytest.approx(0.0)


def test_it_counts_only_the_best_detection_in_a_window():
    """A late second detection in the same window changes nothing."""
    one = score_file(10_000, WINDOWS, [2050], "standard")
    two = score_file(10_000, WINDOWS, [2050, 2090], "standard")
    assert one == two
    assert one.raw == pytest.approx(scaled_sigmoid(-50 / 100) / scaled_sigmoid(-1) - 1.0)


def test_it_charges_false_positives_by_profile_and_distance():
    """Before any window a false positive costs the full weight; just after one, almost nothing."""
    early = (
        score_file(10_000, WINDOWS, [1000], "low_fp").raw
        - score_file(10_000, WINDOWS, [], "low_fp").raw
    )
    assert early == pytest.approx(-0.22)
    after = (
        score_file(10_000, WINDOWS, [2101], "standard").raw
        - score_file(10_000, WINDOWS, [], "standard").raw
    )
    assert -0.11 < after < 0 and after == pytest.approx(0.11 * (2 / (1 + math.exp(5 * 2 / 99)) - 1))


def test_it_ignores_the_probationary_period():
    """Detections in the first 15% (at most 750 rows) are not scored."""
    assert probation_rows(10_000) == 750
    assert score_file(10_000, WINDOWS, [100], "standard") == score_file(
        10_000, WINDOWS, [], "standard"
    )
