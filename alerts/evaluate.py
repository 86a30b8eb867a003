"""The live detector: each beat, advance every (platform, topic, kind) and queue messages.

Each beat judges the counts up to now, the minute in progress included, so a burst is seen
within seconds of its comments being decided. State lives in the database (incidents), so any
beat process can run this. Run one beat; a second one by mistake cannot alert twice
(`workers/alert_tasks.tick`: an advisory lock on PostgreSQL, and one firing incident per key).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from alerts import counts, outbox, policy
from alerts.detector import Params, Partial, Signal, shift_signals, spike_signals
from alerts.lifecycle import FIRING, RESOLVED, Event, Track, step
from alerts.models import Incident, Silence
from alerts.raid import RaidParams, Toxic, find_raids
from alerts.view import build_view, chart_payload, view_payload
from moderation.models import Comment, Decision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    policy: policy.Policy
    transport: str = "console"
    public_url: str = "http://127.0.0.1:8000"
    params: Params = field(default_factory=Params)
    raid: RaidParams = field(default_factory=RaidParams)
    cache: counts.SeriesCache | None = None  # minute counts kept between ticks (the beat's)
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # VIGIE_ALERT_TOPICS


def run(session: Session, now: datetime, ctx: Context) -> list[int]:
    """Judge the counts up to now everywhere; return the ids of messages to send.

    The reads are batched across keys (platform, topic): the series, the first counted
    minutes and the latest incidents each come in one query for all keys, so a tick sends the
    same few statements for one platform or fifty (tests/alerts/test_alerts_tick_queries.py).
    """
    # The minute in progress is judged too: its count only grows, so a burst shows before the
    # minute closes, and the baseline (full past minutes) makes a partial minute conservative.
    end = counts.minute_of(now) + timedelta(minutes=1)
    queued: list[Any] = []
    keys = set(counts.keys_since(session, end - timedelta(days=1)))
    firing = session.execute(
        select(Incident.platform, Incident.topic, Incident.kind).where(Incident.status == FIRING)
    ).all()
    keys |= {(platform, topic) for platform, topic, _ in firing}
    ordered = sorted(keys)
    days = ctx.params.history_days + 1
    all_series = (
        counts.load_series_many(session, ordered, end, days)
        if ctx.cache is None
        else ctx.cache.series_many(session, ordered, end, days)
    )
    firsts = counts.first_minutes(session, ordered)
    incidents = Latest(session, ordered)
    for platform, topic in ordered:
        series = all_series[(platform, topic)]
        last = np.array([len(series.values) - 1])
        # The last bucket is the minute in progress: its expected counts are prorated.
        assert series.negatives is not None
        partial = Partial(
            series.values[last],
            series.negatives[last],
            (now - (end - timedelta(minutes=1))).total_seconds() / 60,
        )
        signals = [
            *spike_signals(series, ctx.params, last, partial),
            *shift_signals(series, ctx.params, last, partial),
        ]
        if not _has_history(firsts.get((platform, topic)), end, ctx.params):
            # The series is zero-filled: before the first count, "usually 0" is not a
            # baseline. As the detector says (min_days), no alert until there is history.
            signals = [replace(s, active=False, sustained=False) for s in signals]
        for signal in signals:
            queued += advance(session, platform, topic, signal, now, ctx, incidents)
    raiding = {platform for platform, _, kind in firing if kind == "raid"}
    for platform, signal in _raid_signals(session, now, ctx, raiding):
        queued += advance(session, platform, "", signal, now, ctx, incidents)
    queued += _reminders(session, now, ctx)
    session.flush()
    return [m.id for m in queued]


def _has_history(first: datetime | None, end: datetime, p: Params) -> bool:
    """Whether the key's first counted minute is at least `min_days` before `end`."""
    if first is None:
        return False
    if first.tzinfo is None:  # SQLite hands back naive UTC
        first = first.replace(tzinfo=UTC)
    return bool(end - first >= timedelta(days=p.min_days))


def latest(session: Session, platform: str, topic: str, kind: str) -> Incident | None:
    return session.scalars(
        select(Incident)
        .where(Incident.platform == platform, Incident.topic == topic, Incident.kind == kind)
        .order_by(Incident.opened_at.desc(), Incident.id.desc())
        .limit(1)
    ).first()


class Latest:
    """`latest` for the keys of a tick, read in one query: the newest incident of each kind
    for each (platform, topic) given; other keys are looked up one by one."""

    def __init__(self, session: Session, keys: list[tuple[str, str]]) -> None:
        self._session = session
        self._keys = set(keys)
        self._incidents: dict[tuple[str, str, str], Incident] = {}
        if not keys:
            return
        newest = (
            func.row_number()
            .over(
                partition_by=(Incident.platform, Incident.topic, Incident.kind),
                order_by=(Incident.opened_at.desc(), Incident.id.desc()),
            )
            .label("newest")
        )
        ranked = (
            select(Incident.id, newest)
            .where(tuple_(Incident.platform, Incident.topic).in_(keys))
            .subquery()
        )
        for incident in session.scalars(
            select(Incident).join(ranked, ranked.c.id == Incident.id).where(ranked.c.newest == 1)
        ):
            self._incidents[(incident.platform, incident.topic, incident.kind)] = incident

    def get(self, platform: str, topic: str, kind: str) -> Incident | None:
        if (platform, topic) not in self._keys:
            return latest(self._session, platform, topic, kind)
        return self._incidents.get((platform, topic, kind))

    def opened(self, incident: Incident) -> None:
        self._incidents[(incident.platform, incident.topic, incident.kind)] = incident
        self._keys.add((incident.platform, incident.topic))


def _track(incident: Incident | None) -> Track:
    if incident is None:
        return Track()
    ts = lambda d: None if d is None else d.timestamp()  # noqa: E731
    return Track(
        FIRING if incident.status == FIRING else RESOLVED,
        ts(incident.opened_at),
        ts(incident.last_active_at),
        ts(incident.resolved_at),
        incident.severity,
    )


def advance(
    session: Session,
    platform: str,
    topic: str,
    signal: Signal,
    now: datetime,
    ctx: Context,
    incidents: Latest | None = None,
) -> list[Any]:
    """One lifecycle step for one key; store it and queue what people should hear."""
    incident = (
        latest(session, platform, topic, signal.kind)
        if incidents is None
        else incidents.get(platform, topic, signal.kind)
    )
    if incident is not None and incident.evaluated_at >= now:
        return []  # an overlapping beat already judged this moment
    track, events = step(_track(incident), signal, now.timestamp(), ctx.params)
    if incident is None and not events:
        return []
    queued: list[Any] = []
    for event in events:
        if event.name == "fire":
            incident = _open(session, platform, topic, event, now)
            if incidents is not None:
                incidents.opened(incident)
        assert incident is not None
        queued += _apply(session, incident, event, track, now, ctx)
    assert incident is not None
    incident.evaluated_at = now
    if track.last_active is not None:
        incident.last_active_at = datetime.fromtimestamp(track.last_active, UTC)
    if signal.active and incident.status == FIRING:
        incident.figures = _figures(signal, ctx.params)
    return queued


def _open(session: Session, platform: str, topic: str, event: Event, end: datetime) -> Incident:
    incident = Incident(
        platform=platform, topic=topic, kind=event.kind, status=FIRING, severity=event.severity,
        opened_at=end, last_active_at=end, evaluated_at=end, figures={},
    )  # fmt: skip
    session.add(incident)
    session.flush()
    log.warning(
        "incident opened", extra={"incident": incident.id, "platform": platform, "kind": event.kind}
    )
    return incident


def _apply(
    session: Session, incident: Incident, event: Event, track: Track, now: datetime, ctx: Context
) -> list[Any]:
    incident.figures = _figures(event.signal, ctx.params)
    if event.name == "fire":
        return _maybe_post(session, incident, now, ctx)
    if event.name == "reopen":
        incident.status, incident.resolved_at = FIRING, None
        incident.severity = event.severity
        return follow_up(session, incident, now, ctx, "Firing again.")
    if event.name == "update":
        incident.severity = event.severity
        return follow_up(session, incident, now, ctx, f"Severity raised to {event.severity}.")
    incident.status = RESOLVED
    incident.resolved_at = datetime.fromtimestamp(event.at, UTC)
    return follow_up(session, incident, now, ctx, "Resolved: back to normal levels.")


def _figures(signal: Signal, p: Params) -> dict[str, Any]:
    window = signal.window_s or (p.shift_window_s if signal.kind == "shift" else p.window_s)
    return {
        "observed": signal.observed, "baseline": signal.baseline, "z": round(signal.z, 2),
        "share": signal.share, "baseline_share": signal.baseline_share, "window_min": window // 60,
    }  # fmt: skip


def _quiet_reason(session: Session, incident: Incident, now: datetime) -> str | None:
    rules = [
        policy.SilenceRule(s.platform, s.topic, s.ends_at)
        for s in session.scalars(select(Silence).where(Silence.ends_at > now))
    ]
    if policy.silenced(rules, incident.platform, incident.topic, now):
        return "silenced"
    others = session.scalars(
        select(Incident.severity).where(
            Incident.platform == incident.platform,
            Incident.status == FIRING,
            Incident.id != incident.id,
        )
    )
    if policy.inhibited(incident.severity, others):
        return "inhibited by a crisis on the same platform"
    return None


def _maybe_post(
    session: Session, incident: Incident, now: datetime, ctx: Context, recheck: bool = False
) -> list[Any]:
    reason = _quiet_reason(session, incident, now)
    if reason is not None:
        # Said once when it happens; the re-check at every tick (for hours under a silence)
        # is only worth a line at DEBUG.
        log.log(
            logging.DEBUG if recheck else logging.INFO,
            "alert kept quiet",
            extra={"incident": incident.id, "reason": reason},
        )
        return []
    incident.slack_channel = policy.channel_for(
        ctx.policy.channels, incident.platform, incident.severity
    )
    incident.notified_at = now
    view = build_view(session, incident, now, ctx.public_url, ctx.topics)
    queued = [outbox.queue(session, incident, "post", view_payload(view), ctx.transport, now)]
    if view.history:
        chart = chart_payload(view.history)
        queued.append(outbox.queue(session, incident, "chart", chart, ctx.transport, now))
    return queued


def follow_up(
    session: Session, incident: Incident, now: datetime, ctx: Context, text: str
) -> list[Any]:
    """Edit the headline in place and say what changed in its thread (if it was ever posted)."""
    if incident.notified_at is None:
        return _maybe_post(session, incident, now, ctx) if incident.status == FIRING else []
    return [
        outbox.queue(
            session,
            incident,
            "update",
            view_payload(build_view(session, incident, now, ctx.public_url, ctx.topics)),
            ctx.transport,
            now,
        ),
        outbox.queue(session, incident, "reply", {"text": text}, ctx.transport, now),
    ]


def _reminders(session: Session, now: datetime, ctx: Context) -> list[Any]:
    queued: list[Any] = []
    for incident in session.scalars(select(Incident).where(Incident.status == FIRING)):
        if incident.notified_at is None:  # kept quiet so far: silence over, inhibition lifted?
            queued += _maybe_post(session, incident, now, ctx, recheck=True)
            continue
        for due in policy.reminders(_standing(incident), now, ctx.policy):
            if due == "escalate":
                incident.escalated_at = now
                text = f"<!subteam^{ctx.policy.oncall_group}> not acknowledged after {ctx.policy.escalate_after_s / 60:.0f} min."
            else:
                incident.notified_at = now
                text = "Still firing and not acknowledged."
            queued.append(
                outbox.queue(session, incident, "reply", {"text": text}, ctx.transport, now)
            )
    return queued


def _standing(i: Incident) -> policy.Standing:
    return policy.Standing(
        i.platform, i.topic, i.severity, i.status == FIRING, i.opened_at, i.notified_at,
        i.acknowledged_at, i.snoozed_until, i.escalated_at,
    )  # fmt: skip


def _raid_signals(
    session: Session, end: datetime, ctx: Context, raiding: set[str]
) -> list[tuple[str, Signal]]:
    """A raid signal for each platform with toxic comments in the window or a raid firing
    (`raiding`: read with the tick's firing incidents)."""
    since = end - timedelta(seconds=ctx.raid.window_s)
    rows = session.execute(
        select(Comment.id, Comment.platform, Comment.author_id, Comment.text, Decision.scores)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Decision.decided_at >= since, Decision.decided_at < end)
    )
    by_platform: dict[str, list[Toxic]] = {}
    for cid, platform, author, text, scores in rows:
        if float(scores.get("toxicity", 0.0)) >= counts.TOXIC_AT:
            by_platform.setdefault(platform, []).append(Toxic(cid, author, text))
    signals = []
    for platform in sorted(set(by_platform) | raiding):
        raids = find_raids(by_platform.get(platform, []), ctx.raid)
        size = max((len(r.comment_ids) for r in raids), default=0)
        signals.append((platform, Signal("raid", bool(raids), bool(raids), float(size), 0.0, 0.0)))
    return signals
