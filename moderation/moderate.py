"""From stored comments to stored decisions: score, apply the platform's rules, record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moderation.facts import CommentFacts
from moderation.models import Action, Comment, CommentStatus, Decision
from moderation.scores import Scores
from moderation.scoring import Scorer
from rules import RuleBook, Verdict, evaluate

log = logging.getLogger(__name__)


class PendingText(NamedTuple):
    id: int
    text: str
    language: str | None


@dataclass(frozen=True)
class Moderated:
    """What one call decided: the new decisions' ids, and comments skipped (already decided)."""

    decision_ids: list[int]
    skipped: int


def moderate(
    session: Session,
    comment_ids: Sequence[int],
    scorer: Scorer,
    rulebook: RuleBook,
    now: datetime,
    on_decision: Callable[[Session, Comment, Decision], None] | None = None,
) -> Moderated:
    """Score and decide the still-pending comments among `comment_ids`, in one session.

    Workers use `pending_texts` and `decide` instead, so that scoring (the slow part) runs
    outside the write transaction.
    """
    scores = score_texts(scorer, pending_texts(session, comment_ids))
    return decide(session, comment_ids, scores, rulebook, now, on_decision)


def pending_texts(session: Session, comment_ids: Sequence[int]) -> list[PendingText]:
    """Id, text and language of the comments among `comment_ids` still waiting for a decision."""
    rows = session.execute(
        select(Comment.id, Comment.text, Comment.language)
        .where(Comment.id.in_(comment_ids), Comment.status == CommentStatus.PENDING)
        .order_by(Comment.id)
    )
    return [PendingText(row.id, row.text, row.language) for row in rows]


def score_texts(scorer: Scorer, texts: Sequence[PendingText]) -> dict[int, Scores]:
    """Score a batch; the result maps each comment id to its scores."""
    scores = scorer.score_batch([t.text for t in texts], [t.language for t in texts])
    return {t.id: s for t, s in zip(texts, scores, strict=True)}


def decide(
    session: Session,
    comment_ids: Sequence[int],
    scores_by_id: Mapping[int, Scores],
    rulebook: RuleBook,
    now: datetime,
    on_decision: Callable[[Session, Comment, Decision], None] | None = None,
) -> Moderated:
    """Apply the rules to scored comments and store their decisions. The caller commits.

    Safe to run twice on the same ids, concurrently or not: comments are moved from pending to
    decided with one compare-and-set UPDATE, and only the transaction that moved a comment
    stores its decision (a concurrent one waits on the row locks, then finds nothing to do).
    """
    claimed = set(
        session.execute(
            update(Comment)
            .where(Comment.id.in_(list(scores_by_id)), Comment.status == CommentStatus.PENDING)
            .values(status=CommentStatus.DECIDED)
            .returning(Comment.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    ) if scores_by_id else set()  # fmt: skip
    if not claimed:
        log.info("nothing to decide: already decided", extra={"comment_ids": len(comment_ids)})
        return Moderated([], len(comment_ids))
    comments = list(
        session.scalars(select(Comment).where(Comment.id.in_(claimed)).order_by(Comment.id))
    )
    scores = [scores_by_id[c.id] for c in comments]
    prior = _prior_removals(session, comments)
    parents = _parent_actions(session, comments)
    depths = _reply_depths(session, comments)
    decisions: list[Decision] = []
    for comment, score in zip(comments, scores, strict=True):
        facts = CommentFacts(
            platform=comment.platform,
            text=comment.text,
            language=score.language,
            author_account_age_days=comment.author_account_age_days,
            author_followers=comment.author_followers,
            author_prior_removals=prior.get((comment.platform, comment.author_id), 0),
            reply_depth=depths.get(comment.id, 0),
            parent_action=parents.get((comment.platform, comment.parent_external_id or "")),
        )
        decisions.append(_decision(comment, score, evaluate(rulebook, facts, score), now))
    session.add_all(decisions)
    session.flush()
    if on_decision is not None:
        for comment, decision in zip(comments, decisions, strict=True):
            on_decision(session, comment, decision)
        session.flush()
    return Moderated([d.id for d in decisions], len(comment_ids) - len(decisions))


def _decision(comment: Comment, scores: Scores, verdict: Verdict, now: datetime) -> Decision:
    return Decision(
        comment_id=comment.id,
        action=Action(verdict.action),
        reasons=list(verdict.reasons),
        rule_ids=list(verdict.recorded_rule_ids),
        tags=list(verdict.tags),
        review_priority=verdict.priority,
        scores=scores.to_dict(),
        model_version=scores.model_version,
        rules_version=verdict.rules_version,
        decided_at=now,
    )


def _prior_removals(session: Session, comments: list[Comment]) -> dict[tuple[str, str], int]:
    """How many of each author's earlier comments Vigie removed, per platform."""
    authors = {c.author_id for c in comments}
    rows = session.execute(
        select(Comment.platform, Comment.author_id, func.count())
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Comment.author_id.in_(authors), Decision.action == Action.REMOVE)
        .group_by(Comment.platform, Comment.author_id)
    )
    return {(platform, author): count for platform, author, count in rows}


def _parent_actions(session: Session, comments: list[Comment]) -> dict[tuple[str, str], str]:
    parents = {c.parent_external_id for c in comments if c.parent_external_id}
    if not parents:
        return {}
    rows = session.execute(
        select(Comment.platform, Comment.external_id, Decision.action)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Comment.external_id.in_(parents))
    )
    return {(platform, ext): str(action) for platform, ext, action in rows}


def _reply_depths(session: Session, comments: list[Comment], limit: int = 10) -> dict[int, int]:
    """How deep each comment sits in its thread (0: top level), walking stored parents.

    One query per level for the whole batch; a chain longer than `limit`, or a parent Vigie
    never received, stops the walk (the depth is then at least what was seen).
    """
    depth: dict[int, int] = {}
    frontier: dict[tuple[str, str | None], list[int]] = {}
    for c in comments:
        if c.parent_external_id:
            depth[c.id] = 1
            frontier.setdefault((c.platform, c.parent_external_id), []).append(c.id)
    for _ in range(limit - 1):
        if not frontier:
            break
        rows = session.execute(
            select(Comment.platform, Comment.external_id, Comment.parent_external_id).where(
                Comment.external_id.in_({ext for _, ext in frontier}),
                Comment.parent_external_id.is_not(None),
            )
        )
        following: dict[tuple[str, str | None], list[int]] = {}
        for platform, external_id, parent in rows:
            for comment_id in frontier.get((platform, external_id), []):
                depth[comment_id] += 1
                following.setdefault((platform, parent), []).append(comment_id)
        frontier = following
    return depth


def rescue_stale(
    session: Session, now: datetime, older_than_s: float, limit: int = 1000
) -> list[int]:
    """Pending comments enqueued longer ago than `older_than_s`: mark them re-enqueued now.

    This recovers comments whose scoring task was lost (broker down at enqueue time, a purged
    queue). Re-enqueueing one that is merely slow is harmless: deciding is idempotent.
    """
    cutoff = now - timedelta(seconds=older_than_s)
    stale = (
        select(Comment.id)
        .where(Comment.status == CommentStatus.PENDING, Comment.enqueued_at < cutoff)
        .order_by(Comment.id)
        .limit(limit)
        .scalar_subquery()
    )
    result = session.execute(
        update(Comment)
        .where(Comment.id.in_(stale), Comment.enqueued_at < cutoff)
        .values(enqueued_at=now)
        .returning(Comment.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())
