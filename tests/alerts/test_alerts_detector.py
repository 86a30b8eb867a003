import numpy as np
from alert_series import rhythm, series

from alerts.backtest import detect, detect_ticks
from alerts.detector import Params, Partial, shift_signals, spike_signals, window_sums

DAY = 1440


def test_it_sums_trailing_windows():
    """Window sums cover the last w buckets, fewer at the start."""
    assert window_sums(np.array([1.0, 2, 3, 4]), 2).tolist() == [1, 3, 5, 7]


def test_it_fires_on_a_spike_against_the_daily_rhythm():
    """A burst at five times the usual rate fires within a few minutes."""
    values = rhythm(8, 5.0)
    values[7 * DAY + 600 : 7 * DAY + 660] += 25
    found = detect(series(values), Params(), kinds=("spike",))
    assert [d.index for d in found if d.index >= 7 * DAY] != []
    first = next(d for d in found if d.index >= 7 * DAY)
    assert 7 * DAY + 600 <= first.index <= 7 * DAY + 603


def test_it_stays_quiet_on_a_steady_week():
    """Rhythm and noise alone raise nothing."""
    assert detect(series(rhythm(9, 5.0, seed=3)), Params(), kinds=("spike",)) == []


def test_it_ignores_past_spikes_in_the_baseline():
    """Yesterday's crisis at the same hour does not raise today's baseline."""
    values = rhythm(8, 5.0)
    values[6 * DAY + 600 : 6 * DAY + 660] += 25
    signals = spike_signals(series(values), Params(), indices=np.array([7 * DAY + 630]))
    # The longest window (15 min) at ~6.1/min there: ~92, not the ~470 of yesterday's spike.
    assert signals[0].window_s == 900 and signals[0].baseline < 120


def test_it_needs_the_minimum_volume():
    """Tripling a tiny rate stays below the minimum count and never alerts, however loose the
    significance; without the minimum volume the burst (and noise) would alert."""
    values = rhythm(8, 0.1)
    values[7 * DAY + 600 : 7 * DAY + 700 : 5] += 1  # 0.1 -> 0.3 a minute for 100 minutes
    loose = Params(min_z=2.0)
    assert detect(series(values), loose, kinds=("spike",)) == []
    no_floor = Params(min_z=2.0, min_count=1)
    assert 7 in {d.index // DAY for d in detect(series(values), no_floor, kinds=("spike",))}


def test_it_ignores_a_viral_but_positive_burst():
    """More comments of every kind, the negative share unchanged or lower: no crisis."""
    values = rhythm(8, 20.0)
    negatives = np.floor(values * 0.15)
    values[7 * DAY + 600 : 7 * DAY + 700] += 150
    negatives[7 * DAY + 600 : 7 * DAY + 700] += 8
    assert detect(series(values, negatives), Params()) == []


def test_it_sees_a_sentiment_shift_without_a_volume_change():
    """The negative share jumps from 10% to 60% at constant volume: a shift alert."""
    values = rhythm(8, 20.0)
    negatives = np.floor(values * 0.1)
    negatives[7 * DAY + 600 : 7 * DAY + 700] = np.floor(values[7 * DAY + 600 : 7 * DAY + 700] * 0.6)
    found = detect(series(values, negatives), Params(), kinds=("shift",))
    assert [d.kind for d in found] == ["shift"]
    assert 7 * DAY + 600 <= found[0].index <= 7 * DAY + 615


def test_it_reports_no_shift_without_negative_counts():
    """A volume-only series has no sentiment to shift."""
    assert shift_signals(series(rhythm(2, 5.0)), Params()) == []


def test_it_waits_for_a_day_of_history():
    """No baseline, no alert: a burst on the first day is not judged."""
    values = rhythm(2, 5.0)
    values[600:660] += 50
    assert detect(series(values), Params(), kinds=("spike",)) == []


def test_the_replayed_beat_fires_before_the_burst_minute_closes():
    """detect_ticks judges the minute in progress tick by tick: a burst of 25 extra comments a
    minute is seen within its first minute, before that minute is complete, and not before."""
    values = rhythm(8, 5.0)
    start = 7 * DAY + 600
    values[start : start + 60] += 25
    ticks = 12
    # Comments arrive evenly within their minute: the k-th tick has seen (k + 1) / 12 of them.
    partials = [
        Partial(np.floor(values * (k + 1) / ticks), None, (k + 1) / ticks) for k in range(ticks)
    ]
    s = series(values)
    found = [d for d in detect_ticks(s, Params(), partials, kinds=("spike",)) if d.index >= 7 * DAY]
    assert found, "the burst was not detected"
    assert found[0].index == start
    assert found[0].seen_at < s.time(start)  # before the minute closed
