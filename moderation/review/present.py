"""What a moderator sees about an item: scores in words, why it is here, and its context."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from moderation.models import Action, Comment, Decision
from moderation.review.models import ReviewItem, Verdict

LEVELS = ((0.85, "very"), (0.6, "likely"), (0.4, "moderately"), (0.2, "slightly"))


def level(value: float) -> str:
    """A probability in words: very / likely / moderately / slightly / not."""
    for threshold, word in LEVELS:
        if value >= threshold:
            return word
    return "not"


def score_lines(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """Each score as a label, a number and a phrase ("moderately toxic (0.55)")."""
    lines = []
    for key, noun in (("toxicity", "toxic"), ("irony", "ironic"), ("negative", "negative")):
        if key in scores:
            value = float(scores[key])
            lines.append({"name": key, "value": round(value, 2), "words": f"{level(value)} {noun}"})
    if "confidence" in scores:
        value = float(scores["confidence"])
        lines.append(
            {"name": "confidence", "value": round(value, 2), "words": f"{level(value)} sure"}
        )
    return lines


@dataclass(frozen=True)
class Hesitation:
    """Why the machine hesitated: signals in words ("ironic", "moderately toxic"...) and its
    confidence when low. The pages put it in the moderator's language (api/words.py)."""

    signals: tuple[str, ...]
    low_confidence: float | None


def hesitation(scores: dict[str, Any]) -> Hesitation:
    parts = []
    if float(scores.get("irony", 0)) >= 0.5:
        parts.append("ironic")
    toxicity = float(scores.get("toxicity", 0))
    if toxicity >= 0.2:
        parts.append(f"{level(toxicity)} toxic")
    if str(scores.get("sentiment", "")) == "negative":
        parts.append("negative")
    confidence = scores.get("confidence")
    low = float(confidence) if confidence is not None and float(confidence) < 0.6 else None
    return Hesitation(tuple(parts), low)


def uncertainty(scores: dict[str, Any]) -> str:
    """Why the machine hesitated, e.g. "ironic + moderately toxic, low confidence (0.40)"."""
    found = hesitation(scores)
    text = " + ".join(found.signals) or "no strong signal"
    if found.low_confidence is not None:
        text += f", low confidence ({found.low_confidence:.2f})"
    return text


MIN_SPAN_WEIGHT = 0.1  # a span that moved a score by less than this is not highlighted


def drivers(scores: dict[str, Any]) -> list[str]:
    """The words or sentences that pushed a score up, from the scorer's explanation spans."""
    spans = scores.get("spans") or []
    return [
        str(span["text"])
        for span in spans
        if isinstance(span, dict) and float(span.get("weight", 0)) >= MIN_SPAN_WEIGHT
    ]


def _whole(phrase: str) -> str:
    """A phrase as a pattern that matches it as a whole word: "con" not inside "contrat"."""
    pattern = re.escape(phrase)
    if _WORD_CHAR.match(phrase[0]):
        pattern = r"(?<!\w)" + pattern
    if _WORD_CHAR.match(phrase[-1]):
        pattern += r"(?!\w)"
    return pattern


_WORD_CHAR = re.compile(r"\w")


def highlight(text: str, phrases: Any) -> list[tuple[str, bool]]:
    """Split text into (segment, drove_the_score) parts for the given phrases.

    Phrases are the scorer's words (or sentences) of the text: marked where they stand as whole
    words, never inside a longer one ("con" is not marked in "connexion"). The text is compared
    in NFC, as the scorer read it (`clean_text`): an "é" typed as "e" + a combining accent is
    the same letter. Without phrases (the comment was not explained) the text comes back whole.
    """
    wanted = [p for p in phrases or [] if isinstance(p, str) and p.strip()] if phrases else []
    if not wanted:
        return [(text, False)]
    text = unicodedata.normalize("NFC", text)
    wanted = [unicodedata.normalize("NFC", p.strip()) for p in wanted]
    pattern = re.compile(
        "|".join(_whole(p) for p in sorted(set(wanted), key=len, reverse=True)), re.IGNORECASE
    )
    parts, last = [], 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append((text[last : match.start()], False))
        parts.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        parts.append((text[last:], False))
    return parts


ZWJ = "\u200d"
LEEWAY = 5  # as Jinja's truncate: a text at most this much longer is shown whole


def _extends(ch: str) -> bool:
    """Whether a character belongs with the one before it (accent, emoji modifier, ...)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")  # combining accents, keycap
        or ch == ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji presentation)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF  # a flag is two of these


def clip(text: str, length: int, end: str = "...") -> str:
    """Jinja's `truncate` (at the last space before `length`) that never cuts a character in two.

    A comment of emoji or decomposed accents with no space early on would otherwise lose half a
    flag (🇫🇷 is two code points), part of a family emoji joined by ZWJs, or an accent.
    """
    if len(text) <= length + LEEWAY:
        return text
    cut = max(length - len(end), 1)
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == ZWJ):
        cut -= 1
    run = 0
    while run < cut and _regional(text[cut - 1 - run]):
        run += 1
    cut -= run % 2  # do not split a pair of regional indicators
    head = text[:cut]
    if " " in head.strip():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + end


def item_summary(item: ReviewItem) -> dict[str, Any]:
    """The fields a list of items shows."""
    comment, decision = item.comment, item.decision
    return {
        "id": item.id,
        "status": str(item.status),
        "platform": item.platform,
        "language": item.language,
        "reason": item.reason,
        "tags": item.tags,
        "priority": item.priority,
        "review_priority": decision.review_priority,
        "queued_at": item.queued_at.isoformat(),
        "claimed_by": item.claimer.username if item.claimer else None,
        "claim_expires_at": item.claim_expires_at.isoformat() if item.claim_expires_at else None,
        "text": comment.text,
        "author": comment.author_handle or comment.author_id,
        "machine": {
            "action": str(decision.action),
            "reasons": decision.reasons,
            "rule_ids": decision.rule_ids,
            "tags": decision.tags,
        },
        "why": uncertainty(decision.scores),
    }


@dataclass(frozen=True)
class AuthorHistory:
    comments: int
    removed: int


def author_history(session: Session, comment: Comment) -> AuthorHistory:
    """The author's comments on Vigie (same platform) and how many were removed."""
    same_author = (Comment.platform == comment.platform) & (Comment.author_id == comment.author_id)
    total = session.scalar(select(func.count()).select_from(Comment).where(same_author)) or 0
    removed = (
        session.scalar(
            select(func.count())
            .select_from(Comment)
            .join(Decision, Decision.comment_id == Comment.id)
            .outerjoin(ReviewItem, ReviewItem.comment_id == Comment.id)
            .where(
                same_author,
                or_(
                    ReviewItem.verdict == Verdict.REMOVE,
                    (Decision.action == Action.REMOVE) & ReviewItem.id.is_(None),
                ),
            )
        )
        or 0
    )
    return AuthorHistory(int(total), int(removed))


def thread_context(session: Session, comment: Comment, limit: int = 5) -> dict[str, Any]:
    """The parent comment (when Vigie has it) and the latest other comments of the thread."""
    parent = None
    if comment.parent_external_id:
        parent = session.scalars(
            select(Comment).where(
                Comment.platform == comment.platform,
                Comment.external_id == comment.parent_external_id,
            )
        ).first()
    others: list[Comment] = []
    if comment.thread_id:
        others = list(
            session.scalars(
                select(Comment)
                .where(
                    Comment.platform == comment.platform,
                    Comment.thread_id == comment.thread_id,
                    Comment.id != comment.id,
                )
                .order_by(Comment.created_at.desc())
                .limit(limit)
            )
        )
    return {
        "thread_id": comment.thread_id,
        "parent": _brief(parent) if parent else None,
        "recent": [_brief(c) for c in others],
    }


def _brief(comment: Comment) -> dict[str, Any]:
    return {
        "external_id": comment.external_id,
        "author": comment.author_handle or comment.author_id,
        "text": comment.text,
        "language": comment.language,
        "created_at": comment.created_at.isoformat(),
    }


def item_detail(session: Session, item: ReviewItem) -> dict[str, Any]:
    """Everything the item page and the API show about one item."""
    comment = item.comment
    history = author_history(session, comment)
    return {
        **item_summary(item),
        "external_id": comment.external_id,
        "created_at": comment.created_at.isoformat(),
        "author": {
            "id": comment.author_id,
            "handle": comment.author_handle,
            "followers": comment.author_followers,
            "account_age_days": comment.author_account_age_days,
            "comments_on_vigie": history.comments,
            "removed_on_vigie": history.removed,
        },
        "scores": score_lines(item.decision.scores),
        "highlighted": highlight(comment.text, drivers(item.decision.scores)),
        "context": thread_context(session, comment),
        "verdict": str(item.verdict) if item.verdict else None,
        "decided_by": item.decider.username if item.decider else None,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
    }


def audit_json(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "user": entry.username,
        "item_id": entry.item_id,
        "comment_id": entry.comment_id,
        "action": entry.action,
        "reason": entry.reason,
        "corrections": entry.corrections,
        "previous": entry.previous,
        "via": entry.via,
    }
