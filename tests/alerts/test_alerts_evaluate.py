import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts import counts, evaluate, outbox
from alerts.evaluate import Context
from alerts.models import AlertMessage, Incident, MinuteCount, Silence
from alerts.policy import Policy
from alerts.transports import SlackTransport
from tests.alerts.alert_series import fill_counts

NOW = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)
END = NOW.replace(second=0)
CTX = Context(Policy({"default": "#alerts", "crisis": "#crisis"}), transport="slack")


def fill(session, platform="facebook", burst=0, days=8, rate=4.0, share=0.25):
    """Steady per-minute counts for `days`, with `burst` extra negatives in the last 5 minutes."""
    fill_counts(session, END, platform, burst, days, rate, share)


def test_it_counts_decisions_per_minute_platform_and_topic(sessions):
    """Each decision adds to its platform's counts and to each matching topic's."""
    at = datetime(2026, 11, 24, 12, 0, 42, tzinfo=UTC)
    topics = counts.topics_for(
        "Le #lancement est raté", None, {"launch": ("#lancement",), "other": ("refund",)}
    )
    assert topics == ["launch"]
    with sessions.begin() as session:
        counts.count_decision(session, "x", topics, {"sentiment": "negative", "toxicity": 0.9}, at)
        counts.count_decision(session, "x", [], {"sentiment": "positive", "toxicity": 0.0}, at)
    with sessions() as session:
        rows = {
            (r.topic, r.total, r.negative, r.toxic) for r in session.scalars(select(MinuteCount))
        }
    assert rows == {("", 2, 1, 1), ("launch", 1, 1, 1)}


def test_it_matches_watched_threads():
    """A topic can be a watched post or thread."""
    assert counts.topics_for("anything", "123", {"recall": ("thread:123",)}) == ["recall"]
    assert counts.topics_for("anything", "999", {"recall": ("thread:123",)}) == []


def test_it_opens_one_incident_and_queues_one_post(sessions):
    """A negative burst posts once, routed by severity; the shift it causes is inhibited; a second beat adds nothing."""
    with sessions.begin() as session:
        fill(session, burst=30)
        first = evaluate.run(session, NOW, CTX)
        second = evaluate.run(session, NOW + timedelta(seconds=5), CTX)
    with sessions() as session:
        incidents = list(session.scalars(select(Incident)))
        messages = list(session.scalars(select(AlertMessage)))
    assert [(i.kind, i.severity, i.notified_at is not None) for i in incidents] == [
        ("spike", "crisis", True),
        ("shift", "critical", False),
    ]
    assert (
        [(m.action, m.channel) for m in messages] == [("post", "#crisis"), ("chart", "#crisis")]
        and len(first) == 2
        and second == []
    )
    assert "negative comments" in messages[0].payload["text"]


def test_a_fresh_install_does_not_alert_before_a_day_of_history(sessions):
    """docs/alerts.md: no alert before one day of history. The empty past is not 'usually 0'.

    On a new install (or a platform's first comments), 30 negative comments a minute were a
    CRISIS '×30 (usually 0)' in the war room; with a day of counts, the same burst alerts.
    """
    with sessions.begin() as session:
        fill(session, burst=30, days=1)
        for minute in session.scalars(select(MinuteCount)):
            if minute.minute < END - timedelta(hours=20):
                session.delete(minute)  # 20 hours of counts: not a day yet
        session.flush()
        assert evaluate.run(session, NOW, CTX) == []
        assert session.scalar(select(Incident)) is None
    with sessions.begin() as session:
        fill(session, platform="x", burst=30, days=2)  # the same burst after two days
        session.flush()
        evaluate.run(session, NOW + timedelta(seconds=5), CTX)
        platforms = {i.platform for i in session.scalars(select(Incident))}
        assert platforms == {"x"}


def test_it_stays_quiet_on_normal_traffic(sessions):
    """Steady counts open nothing."""
    with sessions.begin() as session:
        fill(session)
        assert evaluate.run(session, NOW, CTX) == []
        assert session.scalar(select(Incident)) is None


def _facebook_silence() -> Silence:
    """Facebook silenced for the hour after NOW."""
    return Silence(
        platform="facebook",
        topic=None,
        ends_at=NOW + timedelta(hours=1),
        created_by="ops",
        reason="",
        created_at=NOW,
    )


def test_it_records_but_does_not_send_silenced_alerts(sessions):
    """A silence on the platform keeps the alert visible in Vigie but out of Slack."""
    with sessions.begin() as session:
        fill(session, burst=30)
        session.add(_facebook_silence())
        assert evaluate.run(session, NOW, CTX) == []
        assert session.scalar(select(Incident.status)) == "firing"


def test_it_says_once_why_an_alert_is_kept_quiet_not_at_every_tick(sessions, caplog):
    """A silenced incident is re-judged every 5 s for hours: one INFO line, not 720 an hour."""
    with sessions.begin() as session:
        fill(session, burst=30)
        session.add(_facebook_silence())
        with caplog.at_level(logging.INFO, logger="alerts.evaluate"):
            for tick in range(12):
                assert evaluate.run(session, NOW + timedelta(seconds=5 * tick), CTX) == []
    said = [
        r.incident
        for r in caplog.records
        if r.getMessage() == "alert kept quiet" and r.levelno >= logging.INFO
    ]
    assert said and len(said) == len(set(said)), said  # once per incident


def test_it_inhibits_lower_alerts_while_a_crisis_fires(sessions):
    """A warning on a platform with a firing crisis is kept quiet."""
    with sessions.begin() as session:
        fill(session, burst=6)
        session.add(
            Incident(
                platform="facebook",
                topic="",
                kind="raid",
                status="firing",
                severity="crisis",
                opened_at=END,
                last_active_at=END,
                evaluated_at=END,
                notified_at=END,
                figures={},
            )
        )
        assert evaluate.run(session, NOW, CTX) == []
        spike = evaluate.latest(session, "facebook", "", "spike")
        assert spike is not None and spike.severity != "crisis" and spike.notified_at is None


def test_it_sends_through_the_outbox_and_keeps_the_thread(sessions, slack):
    """The post lands in Slack; its ts is kept so the chart and later updates go to its thread."""
    with sessions.begin() as session:
        fill(session, burst=30)
        message_id, chart_id = evaluate.run(session, NOW, CTX)
    transport = SlackTransport("xoxb-test", base_url=slack.url)
    assert outbox.attempt(sessions, message_id, transport, lambda: NOW) == "sent"
    assert (
        outbox.attempt(sessions, message_id, transport, lambda: NOW) == "not due or already taken"
    )
    with sessions() as session:
        incident = session.scalar(select(Incident))
        assert (
            incident.slack_ts is not None and session.get(AlertMessage, message_id).status == "sent"
        )
    assert [m for m, _ in slack.calls] == ["chat.postMessage"]
    assert outbox.attempt(sessions, chart_id, transport, lambda: NOW) == "sent"
    complete = dict(slack.calls)["files.completeUploadExternal"]
    assert complete["thread_ts"] == incident.slack_ts and slack.uploads[0][:4] == b"\x89PNG"


def test_it_stops_on_invalid_auth_and_surfaces_it(sessions, slack):
    """A permanent Slack error fails the message at once and lists it for /readyz."""
    slack.answer(200, {"ok": False, "error": "invalid_auth"})
    with sessions.begin() as session:
        fill(session, burst=30)
        message_id, _chart_id = evaluate.run(session, NOW, CTX)
    outcome = outbox.attempt(
        sessions, message_id, SlackTransport("xoxb-bad", base_url=slack.url), lambda: NOW
    )
    assert outcome == "failed: invalid_auth"
    with sessions() as session:
        assert outbox.failures(session) == [
            {"message_id": message_id, "incident_id": 1, "error": "invalid_auth"}
        ]
        assert session.scalar(select(Incident.status)) == "firing"  # still visible in Vigie


def test_it_retries_after_retry_after_on_429(sessions, slack):
    """A 429 leaves the message pending until Slack's Retry-After has passed."""
    slack.answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})
    with sessions.begin() as session:
        fill(session, burst=30)
        message_id, _chart_id = evaluate.run(session, NOW, CTX)
    transport = SlackTransport("xoxb-test", base_url=slack.url)
    assert outbox.attempt(sessions, message_id, transport, lambda: NOW).startswith("will retry")
    with sessions() as session:
        assert message_id not in outbox.due(session, NOW + timedelta(seconds=29))
        assert message_id in outbox.due(session, NOW + timedelta(seconds=31))
    assert (
        outbox.attempt(sessions, message_id, transport, lambda: NOW + timedelta(seconds=31))
        == "sent"
    )


def test_it_fails_follow_ups_when_the_post_failed(sessions, slack):
    """Once the headline post failed for good, its updates fail at once instead of waiting."""
    slack.answer(200, {"ok": False, "error": "channel_not_found"})
    with sessions.begin() as session:
        fill(session, burst=30)
        post_id, _chart_id = evaluate.run(session, NOW, CTX)
    transport = SlackTransport("xoxb-test", base_url=slack.url)
    assert outbox.attempt(sessions, post_id, transport, lambda: NOW) == "failed: channel_not_found"
    with sessions.begin() as session:
        incident = session.scalar(select(Incident).where(Incident.kind == "spike"))
        (reply,) = [
            m
            for m in evaluate.follow_up(session, incident, NOW, CTX, "note")
            if m.action == "reply"
        ]
        session.flush()
        reply_id = reply.id
    assert outbox.attempt(sessions, reply_id, transport, lambda: NOW).startswith("failed")
    assert len(slack.calls) == 1


def test_it_opens_a_raid_incident_from_stored_decisions(sessions):
    """Eight authors posting the same insult within minutes open a raid incident."""
    from moderation.models import Action, Comment, CommentStatus, Decision

    with sessions.begin() as session:
        for i in range(8):
            comment = Comment(
                source="demo", platform="x", external_id=f"r{i}", author_id=f"troll{i}",
                text="You are all TRASH, quit now!!" if i % 2 else "you are all trash quit now",
                created_at=END, received_at=END, status=CommentStatus.DECIDED,
            )  # fmt: skip
            session.add(comment)
            session.flush()
            session.add(Decision(
                comment_id=comment.id, action=Action.REMOVE, reasons=[], rule_ids=[],
                scores={"toxicity": 0.9, "sentiment": "negative"}, model_version="t", rules_version="t",
                decided_at=END - timedelta(minutes=2),
            ))  # fmt: skip
        evaluate.run(session, NOW, CTX)
        raid = evaluate.latest(session, "x", "", "raid")
    assert raid is not None and raid.status == "firing" and raid.figures["observed"] == 8


def test_the_chart_shows_a_burst_in_the_minute_in_progress(sessions):
    """An alert fired in a burst's first minute draws that minute: the last bar is the burst."""
    with sessions.begin() as session:
        fill(session)
        session.add(
            MinuteCount(platform="facebook", topic="", minute=END, total=45, negative=40, toxic=0)
        )
        evaluate.run(session, NOW, CTX)
    with sessions() as session:
        chart = session.scalars(select(AlertMessage).where(AlertMessage.action == "chart")).one()
        post = session.scalars(select(AlertMessage).where(AlertMessage.action == "post")).one()
    bars = chart.payload["console"].removeprefix("chart: ")
    assert len(bars) == 18 and bars[-1] == "█" and set(bars[:-1]) <= set("▁▂▃"), bars
    assert "█" in post.payload["console"]
