"""The scoring task puts the machine's review and escalate decisions in the queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Action, Decision
from moderation.review.models import ReviewItem
from moderation.review.priority import priority
from tests.conftest import make_settings
from tests.queue.conftest import NOW
from tests.support import comment
from vigie import migrate
from vigie.runtime import Runtime
from workers.tasks import score

TEXTS = [
    "Thanks, the delivery was quick!",
    "Espèce de connard, va te faire foutre.",
    "Bravo, encore une panne, merci pour rien 👏",
    "You are stupid and useless, what a joke.",
    "Vous êtes vraiment nuls, service client inexistant.",
    "This is the worst update ever, fix it you idiots.",
    "Great job, another outage, just great.",
    # French abuse is now removed like English abuse, so one text a rule always sends to people
    "Je sais où tu habites.",
]


def test_it_queues_exactly_the_decisions_sent_to_people(runtime: Runtime, session: Session) -> None:
    """After score(): an item for each review/escalate decision, none for approve/remove."""
    comments = [comment(f"h{n}", text=text) for n, text in enumerate(TEXTS)]
    stored = store_comments(session, parse_vigie_payload({"comments": comments}), "acme", NOW)
    session.commit()
    score(runtime, stored.new_ids)
    decisions = list(session.scalars(select(Decision)))
    queued = {i.decision_id for i in session.scalars(select(ReviewItem))}
    for_people = {d.id for d in decisions if d.action in (Action.REVIEW, Action.ESCALATE)}
    assert len(decisions) == len(TEXTS)
    assert queued == for_people
    # The sample has texts the rules send to people; without one, this test would prove little.
    assert for_people, [(d.action, d.scores.get("toxicity")) for d in decisions]


def test_it_queues_a_threat_with_its_rule_tag_at_urgent_priority(
    runtime: Runtime, session: Session
) -> None:
    """A rule's tags reach the item, and its queue priority adds to the item's rank boost."""
    text = "Je vais te tuer, je sais où tu habites"
    stored = store_comments(session, parse_vigie_payload(comment("t1", text=text)), "acme", NOW)
    session.commit()
    score(runtime, stored.new_ids)
    item = session.scalars(select(ReviewItem)).one()
    assert "threat" in item.tags
    assert item.decision.review_priority == "urgent"
    parts = priority("escalate", item.decision.scores, item.comment.author_followers, "urgent")
    assert item.priority == round(parts.boost_minutes, 2)
    assert parts.rule_minutes == 60


def test_it_tags_an_item_with_the_watched_topics_its_comment_belongs_to(tmp_path) -> None:
    """VIGIE_ALERT_TOPICS: `topic:NAME` tags are how a topic alert's link narrows the queue."""
    settings = make_settings(
        tmp_path, VIGIE_ALERT_TOPICS="launch=#launch|new phone;recall=thread:post-9"
    )
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    text = "Je vais te tuer, je sais où tu habites"  # a threat: always sent to people
    payload = {
        "comments": [
            comment("k1", text=f"{text} #LAUNCH"),
            {**comment("k2", text=text), "thread_id": "post-9"},
            comment("k3", text=text),
        ]
    }
    try:
        with rt.sessions() as session:
            stored = store_comments(session, parse_vigie_payload(payload), "acme", NOW)
            session.commit()
            score(rt, stored.new_ids)
            items = session.scalars(select(ReviewItem)).all()
            topics = {
                i.comment.external_id: [t for t in i.tags if t.startswith("topic:")] for i in items
            }
    finally:
        rt.close()
    assert topics == {"k1": ["topic:launch"], "k2": ["topic:recall"], "k3": []}
