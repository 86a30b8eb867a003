from alerts.detector import Params, Signal
from alerts.lifecycle import FIRING, RESOLVED, Track, step

P = Params(resolve_s=600, cooldown_s=3600)
HOT = Signal("spike", True, True, 60.0, 5.0, 9.0)
HOTTER = Signal("spike", True, True, 120.0, 5.0, 20.0)
COLD = Signal("spike", False, False, 5.0, 5.0, 0.0)


def run(signals, start=0.0, track=None):
    track = track or Track()
    events = []
    for i, s in enumerate(signals):
        track, new = step(track, s, start + 60 * i, P)
        events += [e.name for e in new]
    return track, events


def test_it_fires_once_per_incident():
    """A signal active for many buckets opens one incident."""
    track, events = run([HOT] * 5)
    assert (track.status, events) == (FIRING, ["fire"])


def test_it_updates_when_severity_rises():
    """Going from x12 to x24 raises the severity and emits an update."""
    _, events = run([HOT, HOTTER])
    assert events == ["fire"]  # both are "crisis" (x12 and x24)
    _, events = run([Signal("spike", True, True, 20.0, 5.0, 6.0), HOT])
    assert events == ["fire", "update"]


def test_it_resolves_after_quiet_time():
    """Ten quiet minutes after the last active bucket resolve the incident."""
    track, events = run([HOT] + [COLD] * 11)
    assert (track.status, events) == (RESOLVED, ["fire", "resolve"])


def test_it_reopens_within_the_cooldown():
    """Firing again during the cool-down reopens the same incident instead of a new one."""
    track, _ = run([HOT] + [COLD] * 11)
    opened = track.opened_at
    track, events = run([HOT], start=1200, track=track)
    assert events == ["reopen"] and track.opened_at == opened
    track, _ = run([COLD] * 11, start=1260, track=track)
    track, events = run([HOT], start=20_000, track=track)
    assert events == ["fire"] and track.opened_at == 20_000
