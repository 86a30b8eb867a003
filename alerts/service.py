"""Alerting built from Settings: the evaluation context and the transport for this process."""

from __future__ import annotations

from alerts import counts
from alerts.evaluate import Context
from alerts.policy import Policy
from alerts.transports import ConsoleTransport, SlackTransport, Transport
from vigie.settings import Settings


def context(settings: Settings) -> Context:
    return Context(
        policy=Policy(
            channels=settings.alert_channels,
            repeat_s=settings.alert_repeat_s,
            escalate_after_s=settings.alert_escalate_after_s,
            oncall_group=settings.alert_oncall_group,
        ),
        transport="slack" if settings.slack_bot_token else "console",
        public_url=settings.public_url,
        cache=counts.CACHE,
        topics=settings.alert_topics,
    )


def transport(settings: Settings) -> Transport:
    """Slack when a bot token is configured; the console in development."""
    if settings.slack_bot_token:
        return SlackTransport(settings.slack_bot_token, base_url=settings.slack_api_url)
    return ConsoleTransport()
