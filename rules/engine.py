"""A small rule engine: first matching rule decides; comparisons over scores.

This is the foundation's engine; the rules issue grows its condition language.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from moderation.facts import CommentFacts
from moderation.scores import Scores

ACTIONS = ("approve", "remove", "review", "escalate")
SHIPPED_DIR = Path(__file__).parent
_COMPARISON = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
SCORE_FIELDS = ("toxicity", "irony", "negative", "positive", "confidence")


class RulesError(ValueError):
    """A rule file is invalid; the message names the file and the problem."""


@dataclass(frozen=True)
class Verdict:
    """What the rules decided for one comment."""

    action: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rules_version: str


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    conditions: tuple[tuple[str, str, float], ...]
    action: str
    reason: str

    def matches(self, scores: Scores) -> bool:
        return all(
            _OPERATORS[op](float(getattr(scores, name)), value)
            for name, op, value in self.conditions
        )


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    default_action: str


@dataclass(frozen=True)
class RuleBook:
    """Rule sets by platform (with a 'default'), and the version of the files they came from."""

    sets: Mapping[str, RuleSet]
    version: str
    files: tuple[str, ...] = field(default=())

    def for_platform(self, platform: str) -> RuleSet:
        return self.sets.get(platform) or self.sets["default"]


def evaluate(book: RuleBook, facts: CommentFacts, scores: Scores) -> Verdict:
    """Decide one comment: the first matching rule's action, else the default action."""
    ruleset = book.for_platform(facts.platform)
    for rule in ruleset.rules:
        if rule.matches(scores):
            reason = rule.reason or rule.description
            return Verdict(rule.action, (reason,), (rule.id,), book.version)
    return Verdict(ruleset.default_action, ("no rule matched",), (), book.version)


def load_rulebook(directory: Path | None = None) -> RuleBook:
    """Load every `*.yaml` file of a folder; platform files inherit rules from `default.yaml`."""
    directory = directory or SHIPPED_DIR
    files = sorted(directory.glob("*.yaml"))
    if not any(f.stem == "default" for f in files):
        raise RulesError(f"{directory}: no default.yaml")
    digest = hashlib.sha256()
    raw: dict[str, dict[str, Any]] = {}
    for path in files:
        content = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + content + b"\0")
        try:
            data = yaml.safe_load(content) or {}
        except yaml.YAMLError as exc:
            raise RulesError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise RulesError(f"{path}: expected a mapping at the top level")
        raw[path.stem] = data
    default = _ruleset(directory / "default.yaml", raw["default"], None)
    sets = {"default": default}
    for name, data in raw.items():
        if name != "default":
            sets[name] = _ruleset(directory / f"{name}.yaml", data, default)
    return RuleBook(sets, digest.hexdigest()[:12], tuple(f.name for f in files))


def _ruleset(path: Path, data: Mapping[str, Any], parent: RuleSet | None) -> RuleSet:
    rules = tuple(_rule(path, i, r) for i, r in enumerate(data.get("rules") or []))
    default_action = data.get("default_action", parent.default_action if parent else "approve")
    if default_action not in ACTIONS:
        raise RulesError(f"{path}: default_action {default_action!r} is not one of {ACTIONS}")
    inherited = parent.rules if parent else ()
    return RuleSet(rules + inherited, default_action)


def _rule(path: Path, index: int, data: Any) -> Rule:
    where = f"{path}: rule #{index + 1}"
    if not isinstance(data, dict) or "id" not in data:
        raise RulesError(f"{where}: a rule is a mapping with an 'id'")
    action = data.get("action")
    if action not in ACTIONS:
        raise RulesError(f"{where} ({data['id']}): action {action!r} is not one of {ACTIONS}")
    conditions = []
    for name, expr in (data.get("when") or {}).items():
        if name not in SCORE_FIELDS:
            raise RulesError(f"{where} ({data['id']}): unknown condition {name!r}")
        match = _COMPARISON.match(str(expr))
        if not match:
            raise RulesError(f"{where} ({data['id']}): bad comparison {expr!r} for {name}")
        conditions.append((name, match.group(1), float(match.group(2))))
    return Rule(
        id=str(data["id"]),
        description=str(data.get("description", "")),
        conditions=tuple(conditions),
        action=action,
        reason=str(data.get("reason", "")),
    )
