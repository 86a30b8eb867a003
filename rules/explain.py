"""Why a comment got its verdict: each rule, whether it matched, and each condition's value."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules.conditions import Context
from rules.engine import evaluate
from rules.model import Rule, RuleBook, Verdict


@dataclass(frozen=True)
class RuleTrace:
    """One rule's outcome for one comment, with one line per condition."""

    rule: Rule
    matched: bool
    detail: str


def explain(book: RuleBook, facts: CommentFacts, scores: Scores) -> tuple[Verdict, list[RuleTrace]]:
    """The verdict, and a trace of every rule of the platform in evaluation order."""
    ctx = Context(facts, scores)
    traces = [
        RuleTrace(rule, rule.when.test(ctx), rule.when.explain(ctx))
        for rule in book.for_platform(facts.platform).rules
    ]
    return evaluate(book, facts, scores), traces
