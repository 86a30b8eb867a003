"""The default stack inside the workers' deciding path (SQLite session from tests/conftest.py)."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Action, Decision
from moderation.moderate import moderate
from moderation.scorers.default import DefaultScorer
from moderation.scores import Scores
from rules import load_rulebook
from tests.support import comment

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_it_stores_hate_and_explanations_on_review_bound_decisions(
    session: Session, scorer: DefaultScorer
) -> None:
    """A toxic comment's decision keeps the hate score and spans, and reads back as Scores."""
    payload = {"comments": [comment("tox", text="T'es vraiment qu'un connard."), comment("ok", text="Merci, livraison rapide !")]}  # fmt: skip
    ids = store_comments(session, parse_vigie_payload(payload), "acme", NOW).new_ids
    session.commit()
    moderate(session, ids, scorer, load_rulebook(), NOW)
    session.commit()
    decisions = {d.comment.external_id: d for d in session.scalars(select(Decision))}
    toxic = Scores.from_dict(decisions["tox"].scores)
    assert decisions["tox"].action != Action.APPROVE and decisions["ok"].action == Action.APPROVE
    assert toxic.hate is not None and any("connard" in s.text for s in toxic.spans)
    assert decisions["tox"].model_version == scorer.version
