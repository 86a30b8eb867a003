"""An operator's recovery from a Slack setting that is wrong (invalid_auth, channel_not_found)."""

import logging
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from alerts import evaluate, outbox
from alerts.evaluate import Context
from alerts.models import AlertMessage, Incident
from alerts.policy import Policy
from alerts.transports import SlackTransport
from tests.alerts.alert_series import fill_counts
from tests.conftest import make_settings
from vigie.cli import main
from workers.app import create_celery

NOW = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)
CTX = Context(Policy({"default": "#alerts"}), transport="slack")


def _refused_incident(sessions, slack):
    """A burst whose headline Slack refuses (invalid_auth), and its chart failed with it."""
    slack.answer(200, {"ok": False, "error": "invalid_auth"})
    with sessions.begin() as session:
        fill_counts(session, NOW.replace(second=0), "facebook", 30, 8, 4.0, 0.25)
        post_id, chart_id = evaluate.run(session, NOW, CTX)
    bad = SlackTransport("xoxb-bad", base_url=slack.url)
    assert outbox.attempt(sessions, post_id, bad, lambda: NOW) == "failed: invalid_auth"
    assert outbox.attempt(sessions, chart_id, bad, lambda: NOW).startswith("failed")
    return post_id, chart_id


def test_retry_sends_a_firing_incident_again_once_the_token_is_fixed(sessions, slack):
    """The crisis reaches Slack after the fix, headline first; /readyz's list empties."""
    post_id, chart_id = _refused_incident(sessions, slack)
    later = NOW + timedelta(minutes=10)
    with sessions.begin() as session:
        assert outbox.retry_failed(session, later) == 2
    with sessions() as session:
        assert outbox.failures(session) == []
        assert outbox.due(session, later) == [post_id]  # the chart waits for its headline
    good = SlackTransport("xoxb-good", base_url=slack.url)
    assert outbox.attempt(sessions, post_id, good, lambda: later) == "sent"
    assert outbox.attempt(sessions, chart_id, good, lambda: later) == "sent"
    with sessions() as session:
        assert session.scalar(select(Incident.slack_ts)) is not None


def test_retry_leaves_resolved_incidents_alone_unless_asked(sessions, slack):
    """A token broken for a weekend does not post every stale headline, unless --all."""
    _refused_incident(sessions, slack)
    with sessions.begin() as session:
        session.scalar(select(Incident)).status = "resolved"
    with sessions.begin() as session:
        assert outbox.retry_failed(session, NOW) == 0
        assert outbox.retry_failed(session, NOW, every_incident=True) == 2


def test_vigie_alerts_retry_rearms_the_failed_messages(sessions, slack, tmp_path):
    """`vigie alerts retry`, as README says to run after fixing the token."""
    _refused_incident(sessions, slack)
    env = {"VIGIE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/alerts.sqlite3"}
    result = CliRunner().invoke(main, ["alerts", "retry"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 failed alert message(s) will be sent again" in result.output
    with sessions() as session:
        assert {m.status for m in session.scalars(select(AlertMessage))} == {"pending"}


def test_a_refused_token_is_logged_as_an_error_saying_what_to_do(sessions, slack, tmp_path, caplog):
    """INFO is below what Sentry and most log alerts look at: a dead Slack must not be."""
    from workers.alert_tasks import send_alert

    slack.answer(200, {"ok": False, "error": "invalid_auth"})
    settings = make_settings(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/alerts.sqlite3",
        SLACK_BOT_TOKEN="xoxb-bad",
        SLACK_API_URL=slack.url,
    )
    with sessions.begin() as session:
        fill_counts(session, datetime.now(UTC).replace(second=0), "facebook", 30, 8, 4.0, 0.25)
        post_id, _chart_id = evaluate.run(session, datetime.now(UTC), CTX)
    app = create_celery(settings)
    app.conf.task_always_eager = True
    with caplog.at_level(logging.INFO, logger="workers.alert_tasks"):
        send_alert.apply(args=[post_id])
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "invalid_auth" in errors[0], caplog.text
    assert "SLACK_BOT_TOKEN" in errors[0] and "vigie alerts retry" in errors[0]
