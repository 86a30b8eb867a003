"""What an alert message shows, gathered from the database: figures, history, terms, samples."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import counts
from alerts.chart import chart_png
from alerts.lifecycle import FIRING
from alerts.mask import mask
from alerts.message import AlertView, plain_text, slack_blocks, sparkline
from alerts.models import Incident
from moderation.models import Comment, Decision

# The comments an alert quotes, and the review queue it links to, start this long before the
# incident opened: the burst began before it was detected.
LEAD = timedelta(minutes=15)


def chart_payload(history: tuple[float, ...]) -> dict[str, Any]:
    png = chart_png(history)
    return {
        "text": f"Negative comments per 10 min, last {len(history) // 6} h",
        "png_b64": base64.b64encode(png).decode(),
        "console": f"chart: {sparkline(history)}",
    }


def view_payload(view: AlertView) -> dict[str, Any]:
    """The stored message payload: Block Kit for Slack, plain text for the console."""
    return {**slack_blocks(view), "console": plain_text(view)}


def state_of(incident: Incident, now: datetime) -> str:
    """firing, acknowledged, snoozed (until it ends) or resolved: what people see of it."""
    if incident.status != FIRING:
        return incident.status
    if incident.acknowledged_at is not None:
        return "acknowledged"
    if incident.snoozed_until is not None and incident.snoozed_until > now:
        return "snoozed"
    return FIRING


def build_view(
    session: Session,
    incident: Incident,
    now: datetime,
    public_url: str,
    topics: Mapping[str, Sequence[str]] | None = None,
) -> AlertView:
    """What the message shows: figures, last hours, top terms, masked samples, review link.

    `topics` (VIGIE_ALERT_TOPICS) lets an incident on a watched topic draw its top terms and
    samples from that topic's comments, as its counts were.
    """
    f: Mapping[str, Any] = incident.figures or {}
    terms = (topics or {}).get(incident.topic) if incident.topic else None
    texts = _recent_negative_texts(
        session, incident.platform, incident.opened_at - LEAD, now, incident.topic, terms
    )
    status = state_of(incident, now)
    note = None
    if status == "acknowledged":
        note = f"acknowledged by {incident.acknowledged_by}"
    elif status == "snoozed":
        note = f"snoozed until {incident.snoozed_until:%H:%M} UTC"
    return AlertView(
        incident_id=incident.id, platform=incident.platform, topic=incident.topic,
        kind=incident.kind, severity=incident.severity, status=status,
        opened_at=incident.opened_at, observed=float(f.get("observed", 0)),
        baseline=float(f.get("baseline", 0)), window_min=int(f.get("window_min", 5)),
        review_url=f"{public_url}/queue?incident={incident.id}",
        share=f.get("share"), baseline_share=f.get("baseline_share"),
        history=_history(session, incident, now), top_terms=top_terms(texts),
        samples=tuple(mask(t) for t in _representative(texts)), note=note,
    )  # fmt: skip


def _recent_negative_texts(
    session: Session,
    platform: str,
    since: datetime,
    until: datetime,
    topic: str = "",
    terms: Sequence[str] | None = None,
) -> list[str]:
    """The latest negative or toxic texts on the platform (on the topic, when its terms are known)."""
    rows = session.execute(
        select(Comment.text, Comment.thread_id, Decision.scores)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(
            Comment.platform == platform, Decision.decided_at >= since, Decision.decided_at <= until
        )
        .order_by(Decision.decided_at.desc())
        .limit(500 if terms is None else 5000)
    )
    return [
        text
        for text, thread_id, scores in rows
        if (
            scores.get("sentiment") == "negative"
            or float(scores.get("toxicity", 0)) >= counts.TOXIC_AT
        )
        and (terms is None or counts.topics_for(text, thread_id, {topic: terms}))
    ][:500]


_STOP_TEXT = (
    "the a an and or of to in on for is are was it this that you your i my me we our with at be not no "
    "le la les un une des et ou de du en au aux est sont pas ne je tu il elle nous vous ils ce cette "
    "qui que pour sur avec dans mais plus très tres"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def top_terms(texts: list[str], n: int = 8) -> tuple[str, ...]:
    words: Counter[str] = Counter()
    for text in texts:
        words.update({w for w in _words(text) if len(w) > 2 and w not in STOPWORDS})
    return tuple(w for w, c in words.most_common(n) if c > 1)


def _words(text: str) -> list[str]:
    return [w.strip(".,!?;:'\"()[]").lower() for w in text.split()]


def _representative(texts: list[str], n: int = 3) -> list[str]:
    """The most common texts (near-duplicates first), then the most recent others."""
    seen: Counter[str] = Counter(" ".join(_words(t)) for t in texts)
    ordered = sorted(dict.fromkeys(texts), key=lambda t: -seen[" ".join(_words(t))])
    return ordered[:n]


def _history(session: Session, incident: Incident, now: datetime) -> tuple[float, ...]:
    """Negative comments per 10 minutes over the last 3 hours, up to the minute in progress.

    The detector reads the minute in progress too, so a burst it fires on in its first minute
    shows in the last bar.
    """
    end = counts.minute_of(now) + timedelta(minutes=1)
    series = counts.load_series(session, incident.platform, incident.topic, end, 1)
    last3h = series.negatives[-180:] if series.negatives is not None else np.zeros(0)
    return tuple(float(x) for x in last3h.reshape(-1, 10).sum(axis=1)) if len(last3h) == 180 else ()
