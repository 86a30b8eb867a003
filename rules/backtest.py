"""Replay past comments through candidate rules: what changes, and how good each rule is.

Pure: the caller loads the comments (with the scores stored on their decisions) and, where
moderators decided, the human action. Nothing here reads the database or the clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules.conditions import Context
from rules.engine import evaluate
from rules.model import Rule, RuleBook

HARMFUL = frozenset({"remove", "escalate"})
_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Replayed:
    """One past comment: its facts, its stored scores, and what was decided then."""

    comment_id: int
    facts: CommentFacts
    scores: Scores
    stored_action: str
    human_action: str | None = None


@dataclass(frozen=True)
class Change:
    """A comment whose decision differs between the baseline and the candidate rules."""

    comment_id: int
    text: str
    before: str
    after: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class RuleQuality:
    """A candidate rule against human decisions (None where there is nothing to divide by).

    A rule is right when the moderator's action agrees with it: an approve rule when the human
    approved, any other action when the human removed or escalated. Shadow rules are scored too,
    which is how a rule earns its way out of shadow mode.
    """

    rule_id: str
    action: str | None
    shadow: bool
    matched: int
    labelled_matches: int
    true_positives: int
    positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.labelled_matches if self.labelled_matches else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.positives if self.positives else None


@dataclass(frozen=True)
class Report:
    """What a candidate rule set would have changed over the replayed comments."""

    total: int
    changed: int
    before: Counter[str]
    after: Counter[str]
    transitions: Counter[tuple[str, str]]
    examples: tuple[Change, ...]
    labelled: int
    rules: tuple[RuleQuality, ...] = field(default=())


_LONGEST = timedelta(days=36500)


def parse_since(text: str) -> timedelta:
    """'30d', '12h', '90m', '2w' -> a timedelta; ValueError otherwise."""
    found = _SINCE.match(text)
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"expected a duration such as 30d, 12h, 90m or 2w, got {text!r}")
    try:
        window = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    except OverflowError:
        window = timedelta.max
    if window > _LONGEST:  # now - window must stay a date
        raise ValueError(f"expected a duration of at most 100 years (36500d), got {text!r}")
    return window


def backtest(
    candidate: RuleBook,
    items: Iterable[Replayed],
    baseline: RuleBook | None = None,
    examples_per_change: int = 3,
) -> Report:
    """Replay `items` through `candidate`; compare with `baseline` (or the stored actions)."""
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    transitions: Counter[tuple[str, str]] = Counter()
    examples: list[Change] = []
    quality: dict[str, list[int]] = {}
    total = labelled = 0
    for item in items:
        total += 1
        old = (
            evaluate(baseline, item.facts, item.scores).action
            if baseline is not None
            else item.stored_action
        )
        verdict = evaluate(candidate, item.facts, item.scores)
        before[old] += 1
        after[verdict.action] += 1
        if old != verdict.action:
            transitions[(old, verdict.action)] += 1
            if transitions[(old, verdict.action)] <= examples_per_change:
                examples.append(
                    Change(item.comment_id, item.facts.text, old, verdict.action, verdict.rule_ids)
                )
        if item.human_action is not None:
            labelled += 1
        _score_rules(candidate, item, quality)
    changed = sum(transitions.values())
    rules = _qualities(candidate, quality)
    return Report(total, changed, before, after, transitions, tuple(examples), labelled, rules)


def _score_rules(book: RuleBook, item: Replayed, quality: dict[str, list[int]]) -> None:
    """Count, per rule: matches, labelled matches, right matches, and human positives."""
    ctx = Context(item.facts, item.scores)
    human = item.human_action
    for rule in book.for_platform(item.facts.platform).rules:
        counts = quality.setdefault(rule.id, [0, 0, 0, 0])
        matched = rule.when.test(ctx)
        counts[0] += matched
        if human is None or rule.action is None:
            continue
        right = (human == "approve") if rule.action == "approve" else (human in HARMFUL)
        counts[1] += matched
        counts[2] += matched and right
        counts[3] += right


def _qualities(book: RuleBook, quality: dict[str, list[int]]) -> tuple[RuleQuality, ...]:
    rules: dict[str, Rule] = {}
    for ruleset in book.sets.values():
        for rule in ruleset.rules:
            rules.setdefault(rule.id, rule)
    return tuple(
        RuleQuality(rule_id, rules[rule_id].action, rules[rule_id].shadow, *counts)
        for rule_id, counts in quality.items()
    )
