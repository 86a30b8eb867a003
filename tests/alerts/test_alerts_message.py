from datetime import UTC, datetime

from alerts.message import MAX_SECTION, AlertView, headline, plain_text, slack_blocks

VIEW = AlertView(
    incident_id=42, platform="facebook", topic="launch", kind="spike", severity="crisis",
    status="firing", opened_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC), observed=84,
    baseline=7, window_min=5, review_url="http://vigie/queue?incident=42", share=0.6,
    baseline_share=0.15, history=(1, 2, 1, 3, 20, 40), top_terms=("refund", "broken"),
    samples=("worst launch ever", "b*****t, give me my money back"),
)  # fmt: skip


def test_it_says_what_happened_in_one_line():
    """The headline carries severity, platform, topic and the ratio."""
    assert (
        headline(VIEW)
        == "CRISIS · facebook · launch: negative comments ×12.0: 84 in 5 min (usually 7)"
    )


def test_it_builds_blocks_with_figures_samples_link_and_buttons():
    """The payload has the figures, the samples, the review link and four buttons."""
    payload = slack_blocks(VIEW)
    text = str(payload["blocks"])
    assert payload["text"] == headline(VIEW)
    assert "Negative share:* 60%" in text and "worst launch ever" in text
    assert "http://vigie/queue?incident=42" in text
    actions = payload["blocks"][-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        "ack",
        "snooze_1h",
        "silence_4h",
        "resolve",
    ]
    assert {e["value"] for e in actions["elements"]} == {"42"}


def test_it_drops_buttons_once_resolved():
    """A resolved incident's message has no buttons left."""
    blocks = slack_blocks(AlertView(**(VIEW.__dict__ | {"status": "resolved"})))["blocks"]
    assert all(b["type"] != "actions" for b in blocks)


def test_it_keeps_within_slack_limits():
    """Long samples are clipped: no section text over 3,000 characters, at most 50 blocks."""
    huge = AlertView(**(VIEW.__dict__ | {"samples": ("x" * 10_000,) * 10}))
    blocks = slack_blocks(huge)["blocks"]
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION for b in blocks)


def test_it_prints_the_same_content_for_the_console():
    """The console text has the headline, samples and link."""
    text = plain_text(VIEW)
    assert headline(VIEW) in text and "worst launch ever" in text and VIEW.review_url in text


def test_commenters_text_cannot_mention_the_channel_or_disguise_a_link():
    """Samples and terms are escaped for mrkdwn: a raid reading `<!channel>` pings no one."""
    raid = AlertView(
        **(
            VIEW.__dict__
            | {
                "samples": (
                    "<!channel> boycott <https://evil.example|Open the review queue> & co",
                ),
                "top_terms": ("<!here>", "fish&chips"),
                "note": "acknowledged by <@U123>",
            }
        )
    )
    blocks = str(slack_blocks(raid)["blocks"])
    assert "<!channel>" not in blocks and "<!here>" not in blocks and "<@U123>" not in blocks
    assert "<https://evil.example" not in blocks
    assert (
        "&lt;!channel&gt; boycott &lt;https://evil.example|Open the review queue&gt; &amp; co"
        in blocks
    )
    assert "fish&amp;chips" in blocks and "acknowledged by &lt;@U123&gt;" in blocks
    assert f"<{VIEW.review_url}|Open the review queue for this incident>" in blocks  # Vigie's own
    assert "<!channel>" in plain_text(raid)  # a terminal shows the comment as written


def test_the_console_gets_no_control_characters_from_comments():
    """An escape sequence in a comment cannot clear or rewrite the operator's terminal."""
    view = AlertView(**(VIEW.__dict__ | {"samples": ("boom\x1b[2J\x1b[Hgone\r\nnext",)}))
    text = plain_text(view)
    assert "\x1b" not in text and "\r" not in text
    assert "boom [2J [Hgone" in text
