"""Who hears about an incident, where and when: routing, silences, inhibition, repeat, escalation.

Pure functions over plain data; `alerts.evaluate` applies them to the database.
Timings follow Alertmanager's spirit: one message per incident (grouped by platform, topic and
kind), updates in its thread, a reminder every `repeat_s` while firing and unacknowledged, and
an on-call mention once `escalate_after_s` has passed without acknowledgement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_CHANNEL = "#vigie-alerts"


@dataclass(frozen=True)
class Policy:
    channels: Mapping[str, str]
    repeat_s: float = 4 * 3600.0
    escalate_after_s: float = 900.0
    oncall_group: str | None = None


@dataclass(frozen=True)
class SilenceRule:
    platform: str | None
    topic: str | None
    ends_at: datetime


@dataclass(frozen=True)
class Standing:
    """What the policy needs to know about an incident."""

    platform: str
    topic: str
    severity: str
    firing: bool
    opened_at: datetime
    notified_at: datetime | None
    acknowledged_at: datetime | None
    snoozed_until: datetime | None
    escalated_at: datetime | None


def channel_for(channels: Mapping[str, str], platform: str, severity: str) -> str:
    """Most specific route first: platform.severity, severity, platform, default."""
    for key in (f"{platform}.{severity}", severity, platform, "default"):
        if key in channels:
            return channels[key]
    return DEFAULT_CHANNEL


def silenced(rules: Iterable[SilenceRule], platform: str, topic: str, now: datetime) -> bool:
    return any(
        r.ends_at > now and r.platform in (None, platform) and (r.topic is None or r.topic == topic)
        for r in rules
    )


def inhibited(severity: str, other_firing_severities: Iterable[str]) -> bool:
    """While a crisis-level alert fires on a platform, its lower alerts stay quiet."""
    return severity != "crisis" and "crisis" in set(other_firing_severities)


def muted(s: Standing, now: datetime) -> bool:
    return s.snoozed_until is not None and s.snoozed_until > now


def reminders(s: Standing, now: datetime, p: Policy) -> list[str]:
    """Due "escalate" and "repeat" reminders for a firing incident nobody acknowledged."""
    if not s.firing or s.acknowledged_at is not None or muted(s, now) or s.notified_at is None:
        return []
    due = []
    if (
        p.oncall_group
        and s.escalated_at is None
        and s.severity in ("critical", "crisis")
        and now - s.opened_at >= timedelta(seconds=p.escalate_after_s)
    ):
        due.append("escalate")
    if now - s.notified_at >= timedelta(seconds=p.repeat_s):
        due.append("repeat")
    return due
