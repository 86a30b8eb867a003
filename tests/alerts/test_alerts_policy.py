from datetime import UTC, datetime, timedelta

from alerts.policy import Policy, SilenceRule, Standing, channel_for, inhibited, reminders, silenced

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = Policy({}, repeat_s=3600, escalate_after_s=600, oncall_group="S0ONCALL")


def standing(**kw):
    base = dict(
        platform="facebook", topic="", severity="critical", firing=True,
        opened_at=NOW - timedelta(minutes=20), notified_at=NOW - timedelta(minutes=20),
        acknowledged_at=None, snoozed_until=None, escalated_at=None,
    )  # fmt: skip
    return Standing(**(base | kw))


def test_it_routes_to_the_most_specific_channel():
    """platform.severity beats severity, which beats platform, then default."""
    channels = {"default": "#a", "facebook": "#fb", "crisis": "#crisis", "x.crisis": "#x-crisis"}
    assert channel_for(channels, "x", "crisis") == "#x-crisis"
    assert channel_for(channels, "facebook", "crisis") == "#crisis"
    assert channel_for(channels, "facebook", "warning") == "#fb"
    assert channel_for(channels, "youtube", "warning") == "#a"


def test_it_silences_by_platform_and_topic_until_the_end():
    """A silence matches its platform (any topic when unset) and only before it ends."""
    rules = [SilenceRule("facebook", None, NOW + timedelta(hours=1))]
    assert silenced(rules, "facebook", "launch", NOW)
    assert not silenced(rules, "x", "", NOW)
    assert not silenced(rules, "facebook", "", NOW + timedelta(hours=2))


def test_it_inhibits_lower_alerts_during_a_crisis():
    """A warning stays quiet while a crisis fires on the same platform; a crisis never is."""
    assert inhibited("warning", ["crisis"])
    assert not inhibited("crisis", ["crisis"])
    assert not inhibited("warning", ["critical"])


def test_it_escalates_unacknowledged_critical_alerts():
    """Past escalate_after without an ack, a critical alert mentions on-call once."""
    assert reminders(standing(), NOW, POLICY) == ["escalate"]
    assert reminders(standing(escalated_at=NOW), NOW, POLICY) == []
    assert reminders(standing(acknowledged_at=NOW), NOW, POLICY) == []
    assert reminders(standing(severity="warning"), NOW, POLICY) == []


def test_it_repeats_after_the_repeat_interval_unless_snoozed():
    """A firing alert is repeated after repeat_s, not while snoozed."""
    old = NOW - timedelta(hours=2)
    assert "repeat" in reminders(standing(notified_at=old, escalated_at=old), NOW, POLICY)
    snoozed = standing(notified_at=old, snoozed_until=NOW + timedelta(minutes=5))
    assert reminders(snoozed, NOW, POLICY) == []
