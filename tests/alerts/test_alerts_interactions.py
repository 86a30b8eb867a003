import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.models import AlertMessage, Incident, Silence
from alerts.view import build_view
from api.app import create_app
from moderation.signing import vigie_signature
from vigie.runtime import Runtime
from vigie.settings import Settings, Source

SECRET = "slack-signing-secret"


@pytest.fixture
def client(sessions, tmp_path):
    url = str(sessions.kw["bind"].url)
    settings = Settings(
        env="test", data_dir=tmp_path, database_url=url, broker_url=f"sqla+sqlite:///{tmp_path}/b.sqlite3",
        sources={"demo": Source("demo", "demo-secret")}, slack_signing_secret=SECRET,
    )  # fmt: skip
    runtime = Runtime(settings)
    yield create_app(settings, runtime).test_client()
    runtime.close()


def firing_incident(sessions, notified=True):
    now = datetime.now(UTC)
    with sessions.begin() as session:
        incident = Incident(
            platform="x", topic="", kind="spike", status="firing", severity="critical", opened_at=now,
            last_active_at=now, evaluated_at=now, figures={"observed": 40, "baseline": 5, "window_min": 5},
            notified_at=now if notified else None, slack_channel="C1", slack_ts="1.1",
        )  # fmt: skip
        session.add(incident)
        session.flush()
        return incident.id


def click(client, incident_id, action="ack", ts=None, secret=SECRET, username="marie"):
    payload = {"type": "block_actions", "user": {"id": "U1", "username": username},
               "actions": [{"action_id": action, "value": str(incident_id)}]}  # fmt: skip
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return client.post("/slack/interactions", data=body, headers=headers)


def test_it_acknowledges_on_a_validly_signed_click(client, sessions):
    """A signed Acknowledge records who acked and queues the headline edit and a thread note."""
    incident_id = firing_incident(sessions)
    started = time.monotonic()
    response = click(client, incident_id)
    assert response.status_code == 200 and time.monotonic() - started < 3
    with sessions() as session:
        incident = session.get(Incident, incident_id)
        messages = [(m.action, m.payload["text"]) for m in session.scalars(select(AlertMessage))]
    assert incident.acknowledged_by == "marie"
    assert messages[0][0] == "update" and "[acknowledged]" in messages[0][1]
    assert messages[1] == ("reply", "Acknowledged by marie.")


def test_the_thread_note_shows_a_name_as_text_never_as_a_mention(client, sessions):
    """Whatever the name holds, the note in the incident's thread notifies no one."""
    incident_id = firing_incident(sessions)
    assert click(client, incident_id, username="<!channel>").status_code == 200
    with sessions() as session:
        notes = [m.payload["text"] for m in session.scalars(select(AlertMessage))]
    assert notes[1] == "Acknowledged by &lt;!channel&gt;."
    assert not any("<!channel>" in str(n) for n in notes)


def test_it_rejects_a_wrong_signature(client, sessions):
    """A click signed with another secret is refused and changes nothing."""
    incident_id = firing_incident(sessions)
    assert click(client, incident_id, secret="not-the-secret").status_code == 401
    with sessions() as session:
        assert session.get(Incident, incident_id).acknowledged_at is None


def test_a_refused_click_is_logged_naming_the_setting(client, sessions, caplog):
    """A wrong SLACK_SIGNING_SECRET only showed as an error on the button, in Slack."""
    incident_id = firing_incident(sessions)
    with caplog.at_level(logging.WARNING, logger="api.alerts"):
        assert click(client, incident_id, secret="not-the-secret").status_code == 401
    assert "SLACK_SIGNING_SECRET" in caplog.text


def test_it_rejects_a_stale_timestamp(client, sessions):
    """A correctly signed click older than 5 minutes is refused (replay)."""
    incident_id = firing_incident(sessions)
    assert click(client, incident_id, ts=int(time.time()) - 301).status_code == 401


def test_it_snoozes_and_resolves(client, sessions):
    """Snooze 1 h sets the snooze end; Resolve closes the incident."""
    incident_id = firing_incident(sessions)
    assert click(client, incident_id, "snooze_1h").status_code == 200
    assert click(client, incident_id, "resolve").status_code == 200
    with sessions() as session:
        incident = session.get(Incident, incident_id)
    assert incident.snoozed_until > datetime.now(UTC) + timedelta(minutes=59)
    assert incident.status == "resolved"


def test_it_answers_400_for_an_unknown_incident(client):
    """A click on an incident that does not exist is a clear 400."""
    response = click(client, 999)
    assert response.status_code == 400 and "no incident 999" in response.get_json()["detail"]


def test_it_creates_a_silence_through_the_signed_api(client, sessions):
    """POST /v1/alerts/silences stores a silence with its end time."""
    body = json.dumps(
        {
            "platform": "x",
            "ends_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
            "reason": "known campaign",
        }
    ).encode()
    headers = {
        "X-Vigie-Signature": vigie_signature("demo-secret", body, int(time.time())),
        "Content-Type": "application/json",
    }
    response = client.post("/v1/alerts/silences", data=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    with sessions() as session:
        silence = session.scalar(select(Silence))
    assert (silence.platform, silence.created_by, silence.reason) == ("x", "demo", "known campaign")


def test_it_silences_the_platform_from_slack(client, sessions):
    """The Silence button mutes the incident's platform for 4 h, credited to the clicker."""
    incident_id = firing_incident(sessions)
    assert click(client, incident_id, "silence_4h").status_code == 200
    with sessions() as session:
        silence = session.scalar(select(Silence))
    assert (silence.platform, silence.topic, silence.created_by) == ("x", None, "marie")
    assert silence.ends_at > datetime.now(UTC) + timedelta(hours=3, minutes=59)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"platform": "twitter"}, "platform: expected one of facebook, instagram, x"),
        ({"topic": "lauch"}, "topic: no topic 'lauch' in VIGIE_ALERT_TOPICS"),
        ({"platfrom": "x"}, "unknown field(s): platfrom"),
    ],
)
def test_it_refuses_a_silence_that_would_silence_nothing(client, sessions, fields, problem):
    """A misspelt platform, topic or field is a 400, not a 201 for a silence that never matches."""
    ends_at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = json.dumps({"ends_at": ends_at, **fields}).encode()
    headers = {
        "X-Vigie-Signature": vigie_signature("demo-secret", body, int(time.time())),
        "Content-Type": "application/json",
    }
    response = client.post("/v1/alerts/silences", data=body, headers=headers)
    assert (response.status_code, response.get_json()["error"]) == (400, "bad_request")
    assert problem in response.get_json()["detail"]
    with sessions() as session:
        assert session.scalar(select(Silence)) is None


def signed_click(client, payload):
    """POST a Slack interaction with any payload, validly signed."""
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return client.post("/slack/interactions", data=body, headers=headers)


@pytest.mark.parametrize(
    "payload",
    [
        {"user": "marie", "actions": [{"action_id": "ack", "value": "1"}]},
        {"user": {"id": "U1"}, "actions": [{"action_id": "ack", "value": str(2**70)}]},
        {"user": {"id": "U1"}, "actions": ["ack"]},
    ],
)
def test_it_answers_400_for_a_signed_click_of_the_wrong_shape(client, sessions, payload):
    """A signed payload that is no Vigie button click is a 400 naming it, never a 500."""
    firing_incident(sessions)
    response = signed_click(client, payload)
    assert response.status_code == 400, response.data
    assert response.get_json()["error"] == "bad_interaction"


def test_it_stores_a_slack_user_name_the_database_can_hold(client, sessions):
    """A user name is clipped to the column (128) and loses NULs, which PostgreSQL refuses."""
    incident_id = firing_incident(sessions)
    user = {"id": "U1", "username": "m\x00" + "a" * 300}
    payload = {"user": user, "actions": [{"action_id": "ack", "value": str(incident_id)}]}
    assert signed_click(client, payload).status_code == 200
    with sessions() as session:
        assert session.get(Incident, incident_id).acknowledged_by == "m" + "a" * 127


def test_it_links_alerts_to_a_page_that_exists(client, sessions):
    """The alert's review link opens the review queue narrowed to it (after login), not a 404."""
    incident_id = firing_incident(sessions)
    with sessions() as session:
        view = build_view(
            session, session.get(Incident, incident_id), datetime.now(UTC), "http://v"
        )
    assert view.review_url.startswith("http://v/")
    response = client.get(view.review_url.removeprefix("http://v"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert view.review_url == f"http://v/queue?incident={incident_id}"
