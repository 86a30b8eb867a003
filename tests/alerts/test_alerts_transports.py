import pytest

from alerts.transports import ConsoleTransport, DeliveryError, Outgoing, SlackTransport

PAYLOAD = {
    "text": "CRISIS · facebook",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


def test_it_posts_then_updates_and_replies_in_the_thread(slack):
    """Post returns the message ts; update and reply target it."""
    transport = SlackTransport("xoxb-test", base_url=slack.url)
    landed = transport.send(Outgoing("post", "#alerts", PAYLOAD))
    transport.send(Outgoing("update", landed.channel, PAYLOAD, ts=landed.ts))
    transport.send(Outgoing("reply", landed.channel, {"text": "still firing"}, ts=landed.ts))
    methods = [m for m, _ in slack.calls]
    assert methods == ["chat.postMessage", "chat.update", "chat.postMessage"]
    assert slack.calls[0][1]["blocks"] == PAYLOAD["blocks"]
    assert slack.calls[1][1]["ts"] == landed.ts and slack.calls[2][1]["thread_ts"] == landed.ts


def test_it_honours_retry_after_on_429(slack):
    """A 429 is transient and carries Slack's Retry-After."""
    slack.answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
    with pytest.raises(DeliveryError) as caught:
        SlackTransport("xoxb-test", base_url=slack.url).send(Outgoing("post", "#a", PAYLOAD))
    assert (caught.value.permanent, caught.value.retry_after) == (False, 7.0)


def test_it_treats_server_errors_as_transient(slack):
    """A 500 from Slack is retried later."""
    slack.answer(500, {"ok": False, "error": "internal_error"})
    with pytest.raises(DeliveryError) as caught:
        SlackTransport("xoxb-test", base_url=slack.url).send(Outgoing("post", "#a", PAYLOAD))
    assert caught.value.permanent is False


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found"])
def test_it_stops_on_permanent_errors(slack, error):
    """invalid_auth and channel_not_found will not get better by retrying."""
    slack.answer(200, {"ok": False, "error": error})
    with pytest.raises(DeliveryError) as caught:
        SlackTransport("xoxb-test", base_url=slack.url).send(Outgoing("post", "#a", PAYLOAD))
    assert caught.value.permanent is True and str(caught.value) == error


def test_it_treats_an_unreachable_slack_as_transient():
    """Connection refused is a network problem: retry."""
    with pytest.raises(DeliveryError) as caught:
        SlackTransport("xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2).send(
            Outgoing("post", "#a", PAYLOAD)
        )
    assert caught.value.permanent is False


def test_it_prints_to_the_console():
    """The console transport writes the message's text."""
    lines = []
    ConsoleTransport(lines.append).send(Outgoing("post", "#alerts", {"text": "CRISIS · x"}))
    assert lines == ["[vigie ALERT #alerts] CRISIS · x"]
