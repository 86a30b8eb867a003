"""The alerts page: incidents and their Slack delivery, the Slack buttons' actions, silences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import counts, evaluate, outbox
from alerts.evaluate import Context
from alerts.models import AlertMessage, Incident, Silence
from alerts.policy import Policy
from alerts.transports import SlackTransport
from tests.alerts.alert_series import fill_counts
from tests.alerts.fake_slack import FakeSlack
from tests.queue.conftest import add_user
from tests.queue.test_pages import csrf, log_in

CTX = Context(Policy({"default": "#alerts"}), transport="slack")


def _burst(db: Session, platform: str = "x") -> tuple[datetime, list[int]]:
    """Eight days of steady counts and a negative burst now: the real detector opens a spike."""
    now = datetime.now(UTC)
    fill_counts(db, counts.minute_of(now), platform, burst=30)
    queued = evaluate.run(db, now, CTX)
    db.commit()
    return now, queued


def _post(api: FlaskClient, path: str, **data: str) -> str:
    answer = api.post(path, data={"csrf_token": csrf(api, "/alerts"), **data})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return api.get(answer.headers["Location"]).get_data(as_text=True)


def test_it_asks_for_a_login(api: FlaskClient) -> None:
    answer = api.get("/alerts")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_it_lists_incidents_with_figures_and_a_link_to_their_comments(
    api: FlaskClient, db: Session
) -> None:
    add_user(db, "mia")
    _burst(db)
    log_in(api, "mia")
    page = api.get("/alerts").get_data(as_text=True)
    incident = db.scalars(select(Incident).where(Incident.kind == "spike")).one()
    row = re.search(rf'data-incident="{incident.id}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    assert (
        "crisis" in row.group(1)
        and "spike" in row.group(1)
        and "<strong>x</strong>" in row.group(1)
    )
    assert "(usually" in row.group(1) and "2 pending" in row.group(1)
    assert f"/queue?incident={incident.id}" in row.group(1)
    assert "Acknowledge" in row.group(1) and "Resolve" in row.group(1)
    assert 'id="slack-failures"' not in page


def test_it_shows_messages_slack_refused_for_good(
    api: FlaskClient, db: Session, review_runtime: Any
) -> None:
    """invalid_auth: the alert stays visible in Vigie, and the page says what Slack answered."""
    add_user(db, "mia")
    now, (message_id, _chart) = _burst(db)
    with FakeSlack() as slack:
        slack.answer(200, {"ok": False, "error": "invalid_auth"})
        transport = SlackTransport("xoxb-bad", base_url=slack.url)
        outcome = outbox.attempt(review_runtime.sessions, message_id, transport, lambda: now)
    assert outcome == "failed: invalid_auth"
    log_in(api, "mia")
    page = api.get("/alerts").get_data(as_text=True)
    assert 'id="slack-failures"' in page and "<code>invalid_auth</code>" in page
    assert re.search(r'class="slack failed">\s*1 failed: invalid_auth', page), page


def test_it_acknowledges_and_resolves_like_the_slack_buttons(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    _burst(db)
    incident_id = db.scalars(select(Incident.id).where(Incident.kind == "spike")).one()
    db.get(Incident, incident_id).escalated_at = datetime.now(UTC)  # type: ignore[union-attr]
    db.commit()
    log_in(api, "mia")
    assert re.search(
        r"firing <span class=\"meta\">escalated \d\d:\d\d",
        api.get("/alerts").get_data(as_text=True),
    )

    page = _post(api, f"/alerts/incidents/{incident_id}/ack")
    assert f"Acknowledged: incident #{incident_id}." in page
    assert re.search(r"acknowledged <span class=\"meta\">by mia, escalated", page), page
    db.expire_all()
    incident = db.get(Incident, incident_id)
    assert incident is not None and incident.acknowledged_by == "mia"
    notes = db.scalars(
        select(AlertMessage.payload).where(
            AlertMessage.incident_id == incident_id, AlertMessage.status == outbox.PENDING
        )
    ).all()
    assert any("Acknowledged by mia." in str(p) for p in notes), "Slack's thread gets the note"

    page = _post(api, f"/alerts/incidents/{incident_id}/resolve")
    db.expire_all()
    assert db.get(Incident, incident_id).status == "resolved"  # type: ignore[union-attr]
    row = re.search(rf'data-incident="{incident_id}">(.*?)</tr>', page, re.S)
    assert row is not None and "Resolve<" not in row.group(1), "no buttons once resolved"
    assert re.search(r'resolved <span class="meta">at \w+ \d+, \d{4}, \d\d:\d\d UTC', row.group(1))
    page = _post(api, f"/alerts/incidents/{incident_id}/snooze_1h")
    assert "is already resolved" in page
    assert "Unknown action" in _post(api, f"/alerts/incidents/{incident_id}/delete")
    assert "No incident #999999" in _post(api, "/alerts/incidents/999999/ack")


def test_it_adds_and_ends_silences_that_the_detector_obeys(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    page = _post(api, "/alerts/silences", platform="x", topic="", hours="2", reason="maintenance")
    assert "Silenced x until" in page and "maintenance" in page
    silence = db.scalars(select(Silence)).one()
    left = silence.ends_at.replace(tzinfo=UTC) - datetime.now(UTC)
    assert silence.created_by == "mia" and timedelta(minutes=119) < left <= timedelta(hours=2)

    _burst(db, "x")  # silenced: recorded, not sent
    incident = db.scalars(select(Incident).where(Incident.kind == "spike")).one()
    assert incident.notified_at is None
    assert "not sent (silenced or inhibited)" in api.get("/alerts").get_data(as_text=True)

    for bad, problem in [
        ({"platform": "myspace", "hours": "1"}, "Unknown platform"),
        ({"platform": "x", "hours": "abc"}, "Hours: a number"),
        ({"platform": "x", "hours": "0"}, "Hours: a number"),
        ({"platform": "x", "hours": "100000"}, "Hours: a number"),
        (
            {"platform": "x", "hours": "1", "topic": "lanch"},
            "No topic &#39;lanch&#39; in VIGIE_ALERT_TOPICS",
        ),
    ]:
        assert problem in _post(api, "/alerts/silences", **bad)
    assert db.scalar(select(Silence.id).where(Silence.id != silence.id)) is None

    page = _post(api, f"/alerts/silences/{silence.id}/end")
    assert f"Silence #{silence.id} ended." in page and "No active silence." in page
    assert "is not active" in _post(api, f"/alerts/silences/{silence.id}/end")


def test_it_refuses_a_post_without_the_csrf_token(api: FlaskClient, db: Session) -> None:
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    answer = api.post("/alerts/silences", data={"platform": "x", "hours": "1"})
    assert answer.status_code == 400
    assert db.scalar(select(Silence.id)) is None


def test_it_does_not_call_console_messages_sent_to_slack(api: FlaskClient, db: Session) -> None:
    """Without Slack settings alerts print in the worker's console: the page says where they
    went, so on-call staff do not believe Slack has them."""
    add_user(db, "mia")
    now = datetime.now(UTC)
    fill_counts(db, counts.minute_of(now), "x", burst=30)
    evaluate.run(db, now, Context(Policy({"default": "#alerts"}), transport="console"))
    db.execute(AlertMessage.__table__.update().values(status=outbox.SENT))
    db.commit()
    log_in(api, "mia")
    page = api.get("/alerts").get_data(as_text=True)
    spike = db.scalars(select(Incident.id).where(Incident.kind == "spike")).one()
    row = re.search(rf'data-incident="{spike}">(.*?)</tr>', page, re.S)
    assert row is not None, page
    cell = re.search(r'<td class="slack">(.*?)</td>', row.group(1), re.S)
    assert cell is not None, page
    assert "2 sent" in cell.group(1) and "console" in cell.group(1)
    assert "Slack is not configured" in cell.group(1)
