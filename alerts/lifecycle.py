"""An incident's lifecycle from detector signals: firing, updated, resolved, reopened.

Pure: the caller passes each bucket's signal and its time, and stores the returned state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from alerts.detector import Params, Signal
from alerts.severity import severity_of

IDLE, FIRING, RESOLVED = "idle", "firing", "resolved"


@dataclass(frozen=True)
class Track:
    """Where one (platform, topic, kind) stands."""

    status: str = IDLE
    opened_at: float | None = None
    last_active: float | None = None
    resolved_at: float | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Event:
    """Something a person may need to hear about: fire, update, resolve, reopen."""

    name: str
    at: float
    kind: str
    severity: str
    signal: Signal


def step(track: Track, signal: Signal, at: float, p: Params) -> tuple[Track, list[Event]]:
    """Advance one bucket. A new incident only opens outside the cool-down of the last one."""
    if track.status == FIRING:
        return _while_firing(track, signal, at, p)
    if not signal.active:
        return track, []
    sev = severity_of(signal)
    in_cooldown = track.resolved_at is not None and at - track.resolved_at < p.cooldown_s
    name = "reopen" if in_cooldown else "fire"
    opened = track.opened_at if in_cooldown else at
    new = Track(FIRING, opened, at, None, sev)
    return new, [Event(name, at, signal.kind, sev, signal)]


def _while_firing(track: Track, signal: Signal, at: float, p: Params) -> tuple[Track, list[Event]]:
    events = []
    if signal.active or signal.sustained:
        track = replace(track, last_active=at)
    if signal.active:
        sev = severity_of(signal)
        if _rank(sev) > _rank(track.severity):
            track = replace(track, severity=sev)
            events.append(Event("update", at, signal.kind, sev, signal))
    assert track.last_active is not None
    if at - track.last_active >= p.resolve_s:
        track = replace(track, status=RESOLVED, resolved_at=at)
        events.append(Event("resolve", at, signal.kind, track.severity or "warning", signal))
    return track, events


def _rank(severity: str | None) -> int:
    from alerts.severity import SEVERITIES

    return SEVERITIES.index(severity) if severity in SEVERITIES else -1
