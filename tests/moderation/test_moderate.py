"""Deciding stored comments: scores, rules, idempotency, rescue of lost work."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moderation.ingest import parse_vigie_payload, store_comments
from moderation.models import Action, Comment, CommentStatus, Decision
from moderation.moderate import moderate, rescue_stale
from moderation.scoring import LexiconScorer
from rules import load_rulebook
from tests.support import comment

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
scorer = LexiconScorer()
rulebook = load_rulebook()


def _store(session: Session, *comments: dict) -> list[int]:
    ids = store_comments(session, parse_vigie_payload({"comments": list(comments)}), "acme", NOW)
    session.commit()
    return ids.new_ids


def test_it_decides_each_comment_with_scores_and_versions(session: Session) -> None:
    """Each comment gets one decision carrying scores, reasons, rule ids and versions."""
    ids = _store(
        session,
        comment("ok", text="Thanks, the delivery was quick!"),
        comment("abuse", text="Espèce de connard, va te faire foutre."),
    )
    result = moderate(session, ids, scorer, rulebook, NOW)
    session.commit()
    assert len(result.decision_ids) == 2
    decisions = {d.comment.external_id: d for d in session.scalars(select(Decision))}
    assert decisions["ok"].action == Action.APPROVE
    assert decisions["abuse"].action == Action.REMOVE
    assert decisions["abuse"].rule_ids[0] == "explicit-abuse", "the deciding rule comes first"
    assert decisions["abuse"].scores["language"] == "fr"
    assert decisions["abuse"].model_version == scorer.version
    assert decisions["abuse"].rules_version == rulebook.version
    assert session.get(Comment, ids[0]).status == CommentStatus.DECIDED


def test_it_stores_the_rules_tags_and_review_priority(session: Session) -> None:
    """A decision keeps every matching rule's tags and the queue priority the rules chose."""
    ids = _store(
        session,
        comment("threat", text="Je vais te tuer, je sais où tu habites"),
        comment("ok", text="Thanks, the delivery was quick!"),
    )
    moderate(session, ids, scorer, rulebook, NOW)
    session.commit()
    decisions = {d.comment.external_id: d for d in session.scalars(select(Decision))}
    threat = decisions["threat"]
    assert (threat.action, threat.review_priority) == (Action.ESCALATE, "urgent")
    assert threat.tags[0] == "threat", "violent-threat runs first (priority 100)"
    assert (decisions["ok"].tags, decisions["ok"].review_priority) == ([], None)


def test_it_decides_a_comment_once_however_often_it_runs(session: Session) -> None:
    """Running moderate again on decided comments stores nothing more."""
    ids = _store(session, comment("a"), comment("b"))
    moderate(session, ids, scorer, rulebook, NOW)
    session.commit()
    again = moderate(session, ids, scorer, rulebook, NOW)
    session.commit()
    assert (again.decision_ids, again.skipped) == ([], 2)
    assert session.scalar(select(func.count()).select_from(Decision)) == 2


def test_it_counts_an_authors_prior_removals(session: Session) -> None:
    """The rules see how many of the author's earlier comments were removed."""
    seen = []
    first = _store(session, comment("a", text="Espèce de connard."))
    moderate(session, first, scorer, rulebook, NOW)
    session.commit()
    second = _store(session, comment("b", text="Hello again"))

    def hook(_session: Session, c: Comment, d: Decision) -> None:
        seen.append((c.external_id, d.action))

    moderate(session, second, scorer, rulebook, NOW, on_decision=hook)
    assert seen == [("b", Action.APPROVE)]


def test_it_rescues_comments_whose_task_was_lost(session: Session) -> None:
    """Pending comments enqueued long ago are handed back once, then not again right away."""
    ids = _store(session, comment("lost"), comment("fresh"))
    session.execute(
        update(Comment).where(Comment.id == ids[0]).values(enqueued_at=NOW - timedelta(minutes=10))
    )
    session.commit()
    assert rescue_stale(session, NOW, older_than_s=60) == [ids[0]]
    session.commit()
    assert rescue_stale(session, NOW + timedelta(seconds=1), older_than_s=60) == []
