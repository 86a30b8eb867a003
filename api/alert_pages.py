"""The alerts page: incidents with their Slack delivery, the buttons Slack has, and silences.

On-call staff who are not in Slack (or when Slack refuses Vigie's messages) see every incident
here, acknowledge, snooze or resolve it, and add or end silences. The actions are the Slack
buttons' own (`alerts.interactions`): the headline in Slack is edited and a note posted in its
thread, through the outbox, as when the button is clicked there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import interactions, outbox, service
from alerts.lifecycle import FIRING
from alerts.models import AlertMessage, Incident, Silence
from alerts.view import state_of
from api.auth import runtime
from api.i18n import format_clock, format_when
from api.pages import login_required
from moderation.models import PLATFORMS

bp = Blueprint("alert_pages", __name__)

ACTIONS = {
    "ack": _l("Acknowledged: incident #%(id)d."),
    "snooze_1h": _l("Snoozed for 1 h: incident #%(id)d."),
    "resolve": _l("Resolved: incident #%(id)d."),
}
MAX_SILENCE_HOURS = 24 * 30
SHOWN = 50  # most recent incidents on the page


def _now() -> datetime:
    return datetime.now(UTC)


@bp.before_request
def check_csrf() -> None:
    """Every POST to these pages carries the session's CSRF token."""
    current_app.extensions["csrf"].protect()


@dataclass(frozen=True)
class Row:
    """One incident as the page shows it."""

    incident: Incident
    state: str  # firing | acknowledged | snoozed | resolved
    note: str
    figures: str
    slack: str  # what happened to its Slack messages
    slack_failed: bool


@bp.get("/alerts")
@login_required
def alerts_page() -> ResponseReturnValue:
    db: Session = g.db
    now = _now()
    incidents = list(
        db.scalars(
            select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(SHOWN)
        )
    )
    delivery = _delivery(db, [i.id for i in incidents])
    silences = list(
        db.scalars(select(Silence).where(Silence.ends_at > now).order_by(Silence.ends_at))
    )
    return render_template(
        "review/alerts.html",
        rows=[_row(i, delivery.get(i.id, Delivery()), now) for i in incidents],
        failures=outbox.failures(db),
        silences=silences,
        platforms=PLATFORMS,
        topics=sorted(runtime().settings.alert_topics),
        max_hours=MAX_SILENCE_HOURS,
    )


@bp.post("/alerts/incidents/<int:incident_id>/<action>")
@login_required
def incident_action(incident_id: int, action: str) -> ResponseReturnValue:
    """Acknowledge, snooze for 1 h or resolve, as the Slack buttons do."""
    if action not in ACTIONS:
        flash(_("Unknown action %(action)s.", action=repr(action)), "error")
        return redirect(url_for("alert_pages.alerts_page"))
    rt = runtime()
    now = _now()
    with rt.sessions.begin() as db:
        incident = db.get(Incident, incident_id)
        if incident is None:
            flash(_("No incident #%(id)d.", id=incident_id), "error")
        elif incident.status != FIRING:
            flash(_("Incident #%(id)d is already resolved.", id=incident_id), "error")
        else:
            click = interactions.Click(action, incident_id, g.user.username)
            interactions.apply_click(db, click, now, service.context(rt.settings))
            flash(str(ACTIONS[action]) % {"id": incident_id}, "ok")
    return redirect(url_for("alert_pages.alerts_page"))


@bp.post("/alerts/silences")
@login_required
def add_silence() -> ResponseReturnValue:
    """Silence a platform (or every platform), optionally one configured topic, for some hours."""
    form = request.form
    platform = form.get("platform") or None
    topic = (form.get("topic") or "").strip() or None
    reason = (form.get("reason") or "").strip()
    problem = None
    if platform is not None and platform not in PLATFORMS:
        problem = _("Unknown platform %(platform)s.", platform=repr(platform))
    elif topic is not None and topic not in runtime().settings.alert_topics:
        problem = _("No topic %(topic)s in VIGIE_ALERT_TOPICS.", topic=repr(topic[:64]))
    elif len(reason) > 500:
        problem = _("A reason has at most 500 characters.")
    elif "\x00" in reason:  # PostgreSQL text cannot hold it (a 500)
        problem = _("A reason cannot contain NUL characters.")
    hours = _hours(form.get("hours"))
    if problem is None and hours is None:
        problem = _(
            "Hours: a number from %(low)s to %(high)s.",
            low=format_decimal(0.25),
            high=format_decimal(MAX_SILENCE_HOURS),
        )
    if problem is not None or hours is None:
        flash(_("Silence not added. %(problem)s", problem=problem), "error")
        return redirect(url_for("alert_pages.alerts_page"))
    now = _now()
    with runtime().sessions.begin() as db:
        silence = interactions.add_silence(
            db, platform, topic, now + timedelta(hours=hours), g.user.username, reason, now
        )
        what = " · ".join(filter(None, [platform or _("every platform"), topic]))
        when = format_when(silence.ends_at)
        flash(_("Silenced %(what)s until %(when)s UTC.", what=what, when=when), "ok")
    return redirect(url_for("alert_pages.alerts_page"))


@bp.post("/alerts/silences/<int:silence_id>/end")
@login_required
def end_silence(silence_id: int) -> ResponseReturnValue:
    now = _now()
    with runtime().sessions.begin() as db:
        silence = db.get(Silence, silence_id)
        if silence is None or silence.ends_at <= now:
            flash(_("Silence #%(id)d is not active.", id=silence_id), "error")
        else:
            silence.ends_at = now
            flash(_("Silence #%(id)d ended.", id=silence_id), "ok")
    return redirect(url_for("alert_pages.alerts_page"))


def _hours(raw: str | None) -> float | None:
    try:
        hours = float(raw or "")
    except ValueError:
        return None
    return hours if 0.25 <= hours <= MAX_SILENCE_HOURS else None


@dataclass
class Delivery:
    """An incident's alert messages: how many in each outbox status, Slack's permanent errors."""

    statuses: Counter[str] = field(default_factory=Counter)
    errors: set[str] = field(default_factory=set)
    transports: set[str] = field(default_factory=set)  # slack | console


def _delivery(db: Session, incident_ids: list[int]) -> dict[int, Delivery]:
    found: dict[int, Delivery] = {}
    if not incident_ids:
        return found
    rows = db.execute(
        select(
            AlertMessage.incident_id,
            AlertMessage.status,
            AlertMessage.last_error,
            AlertMessage.transport,
        ).where(AlertMessage.incident_id.in_(incident_ids))
    )
    for incident_id, status, error, transport in rows:
        delivery = found.setdefault(incident_id, Delivery())
        delivery.statuses[status] += 1
        delivery.transports.add(transport)
        if status == outbox.FAILED and error:
            delivery.errors.add(error)
    return found


def _row(incident: Incident, delivery: Delivery, now: datetime) -> Row:
    state = state_of(incident, now)
    note = ""
    if state == "resolved" and incident.resolved_at is not None:
        note = _("at %(when)s UTC", when=format_when(incident.resolved_at))
    elif state == "acknowledged":
        note = _("by %(who)s", who=incident.acknowledged_by)
    elif state == "snoozed" and incident.snoozed_until is not None:
        note = _("until %(time)s UTC", time=format_clock(incident.snoozed_until))
    if incident.status == FIRING and incident.escalated_at is not None:
        escalated = _("escalated %(time)s", time=format_clock(incident.escalated_at))
        note = f"{note}, {escalated}" if note else escalated
    return Row(
        incident,
        state,
        note,
        _figures(incident.figures or {}),
        _slack(incident, delivery),
        bool(delivery.errors),
    )


def _slack(incident: Incident, delivery: Delivery) -> str:
    """What happened to an incident's Slack messages, in words."""
    statuses, errors = delivery.statuses, sorted(delivery.errors)
    if not statuses:
        return _("not sent (silenced or inhibited)") if incident.notified_at is None else "—"
    if errors:
        return ngettext(
            "%(num)d failed: %(errors)s",
            "%(num)d failed: %(errors)s",
            statuses[outbox.FAILED],
            errors=", ".join(errors),  # Slack's own error codes: not translated
        )
    parts = []
    if statuses[outbox.SENT]:
        parts.append(ngettext("%(num)d sent", "%(num)d sent", statuses[outbox.SENT]))
    if statuses[outbox.PENDING]:
        parts.append(ngettext("%(num)d pending", "%(num)d pending", statuses[outbox.PENDING]))
    slack = ", ".join(parts)
    if delivery.transports == {"console"}:
        slack = _("%(sent)s to the worker's console (Slack is not configured)", sent=slack)
    return slack


def _figures(f: dict[str, Any]) -> str:
    parts = []
    if "observed" in f:
        parts.append(
            _(
                "%(observed)s in %(window)d min (usually %(baseline)s)",
                observed=format_decimal(round(float(f["observed"]))),
                window=int(f.get("window_min", 5)),
                baseline=format_decimal(round(float(f.get("baseline", 0)))),
            )
        )
    if f.get("share") is not None:
        share = format_percent(float(f["share"]))
        parts.append(_("%(share)s negative", share=share))
    return " · ".join(parts)
