"""What an alert shows is drawn from the incident's own comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from alerts.view import build_view
from tests.queue.conftest import add_incident, add_item

TOPICS = {"launch": ("#launch", "new phone"), "recall": ("thread:post-9",)}


def test_a_topic_incident_shows_samples_and_terms_from_that_topic_only(session: Session) -> None:
    """A spike on #launch: its samples and top terms are about the launch, not the platform."""
    now = datetime.now(UTC).replace(microsecond=0)
    incident = add_incident(session, "x", now - timedelta(minutes=5), topic="launch")
    for n in range(3):
        add_item(session, text=f"The new phone battery dies #launch {n}", platform="x", at=now)
        add_item(session, text=f"Delivery refund never came, scandal {n}", platform="x", at=now)
    add_item(session, text="Recall refund scandal", platform="x", at=now, thread_id="post-9")
    session.commit()

    view = build_view(session, incident, now, "https://vigie.example", TOPICS)
    assert view.samples and all("#launch" in s for s in view.samples), view.samples
    assert "battery" in view.top_terms and "refund" not in view.top_terms, view.top_terms

    platform_wide = build_view(session, incident, now, "https://vigie.example")  # topics unknown
    assert "refund" in platform_wide.top_terms

    recall = add_incident(session, "x", now - timedelta(minutes=5), topic="recall")
    session.commit()
    assert build_view(session, recall, now, "https://vigie.example", TOPICS).samples == (
        "Recall refund scandal",
    )
