"""Evaluate a comment against its platform's rules, and load rule books from folders.

Evaluation order and multi-match semantics (see docs/RULES.md):
- rules run by `priority` (higher first), then in file order: a platform file's new rules
  first, then the rules it inherits from default.yaml (a platform rule that reuses a default
  rule's id replaces that rule where it stands);
- every rule is tested; the first matching live rule that has an action decides, and every
  matching live rule adds its tags and its id (the deciding rule's id comes first);
- a removal then passes the platform's uncertainty band and irony gate, which may turn it into
  a review; no rule deciding means the file's `default_action`;
- shadow rules are tested and reported in `Verdict.shadow`, and change nothing else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules import yaml_lines
from rules.conditions import Context, TextIndex
from rules.model import (
    ACTIONS,
    Rule,
    RuleBook,
    RulesError,
    RuleSet,
    ShadowMatch,
    Uncertainty,
    Verdict,
)
from rules.parse import RuleFile, parse_file

SHIPPED_DIR = Path(__file__).parent
_FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

__all__ = [
    "ACTIONS",
    "SHIPPED_DIR",
    "RuleBook",
    "RuleSet",
    "RulesError",
    "Verdict",
    "evaluate",
    "load_rulebook",
    "rulebook_from_sources",
]


def evaluate(book: RuleBook, facts: CommentFacts, scores: Scores) -> Verdict:
    """Decide one comment with its platform's rules (see the module docstring for the order)."""
    ruleset = book.for_platform(facts.platform)
    ctx = Context(facts, scores, book.matcher)
    matched = [rule for rule in ruleset.rules if rule.when.test(ctx)]
    live = [rule for rule in matched if not rule.shadow]
    action, reasons, priority, decider = _decide(ruleset, live, ctx)
    rule_ids = [rule.id for rule in live if rule is not decider]
    if decider is not None:
        rule_ids.insert(0, decider.id)
    tags = tuple(dict.fromkeys(tag for rule in live for tag in rule.tags))
    shadow = tuple(
        ShadowMatch(s.id, s.action, _decide(ruleset, _as_live(matched, s), ctx)[0])
        for s in matched
        if s.shadow
    )
    return Verdict(
        action=action,
        reasons=reasons,
        rule_ids=tuple(rule_ids),
        rules_version=book.version,
        tags=tags,
        priority=priority,
        decided_by=decider.id if decider is not None else None,
        shadow=shadow,
    )


def _as_live(matched: list[Rule], shadow_rule: Rule) -> list[Rule]:
    return [rule for rule in matched if not rule.shadow or rule is shadow_rule]


def _decide(
    ruleset: RuleSet, live: list[Rule], ctx: Context
) -> tuple[str, tuple[str, ...], str | None, Rule | None]:
    decider = next((rule for rule in live if rule.action is not None), None)
    if decider is None or decider.action is None:
        action = ruleset.default_action
        reason = "no rule matched" if not live else "no rule with an action matched"
        return action, (reason,), _default_priority(action), None
    if decider.action == "remove" and decider.uncertainty:
        doubt = uncertain(ruleset.uncertainty, decider, ctx)
        if doubt:
            return "review", (decider.reason, doubt), ruleset.uncertainty.queue_priority, decider
    return decider.action, (decider.reason,), decider.queue_priority, decider


def _default_priority(action: str) -> str | None:
    return {"review": "low", "escalate": "urgent"}.get(action)


def uncertain(band: Uncertainty, rule: Rule, ctx: Context) -> str | None:
    """Why a removal by `rule` is too uncertain to automate, or None when it is not.

    Comparisons are written so that a NaN score counts as uncertain: never an automatic removal.
    """
    scores = ctx.scores
    if not scores.confidence >= band.min_confidence:
        return f"uncertain: scorer confidence {scores.confidence:.2f} < {band.min_confidence:g}"
    if (
        band.irony_at_least is not None
        and not scores.irony < band.irony_at_least
        and not scores.toxicity >= band.toxicity_below
    ):
        return (
            f"irony gate: irony {scores.irony:.2f} >= {band.irony_at_least:g} with toxicity "
            f"{scores.toxicity:.2f} < {band.toxicity_below:g}"
        )
    for leaf in rule.band:
        # round(): 0.95 - 0.9 is 0.0499999..., which is not within a band of 0.05.
        if not round(leaf.margin(ctx), 6) >= band.band:
            value = float(getattr(scores, leaf.field))
            return (
                f"uncertain: {leaf.field} {value:.2f} is within {band.band:g} of the rule's "
                f"threshold {leaf.threshold:g}"
            )
    return None


def load_rulebook(directory: Path | None = None) -> RuleBook:
    """Load every `*.yaml` file of a folder; platform files inherit rules from `default.yaml`."""
    directory = directory or SHIPPED_DIR
    try:
        paths = sorted(directory.glob("*.yaml"))
        sources = {path.stem: path.read_bytes() for path in paths}
    except OSError as exc:
        raise RulesError(f"{directory}: cannot read rule files: {exc.strerror or exc}") from None
    return rulebook_from_sources(sources, directory)


def rulebook_from_sources(sources: Mapping[str, bytes | str], directory: Path) -> RuleBook:
    """Build a rule book from file contents by platform name ('default' is required)."""
    if "default" not in sources:
        raise RulesError(f"{directory}: no default.yaml")
    digest = hashlib.sha256()
    texts = TextIndex()
    files: dict[str, RuleFile] = {}
    for name in sorted(sources):
        content = sources[name]
        raw = content.encode("utf-8") if isinstance(content, str) else content
        digest.update(f"{name}.yaml".encode() + b"\0" + raw + b"\0")
        files[name] = parse_source(directory, name, raw, texts)
    sets = build_sets(directory, files)
    names = tuple(f"{n}.yaml" for n in sorted(sources))
    return RuleBook(sets, digest.hexdigest()[:12], names, texts.compile())


def parse_source(
    directory: Path, name: str, content: bytes, texts: TextIndex | None = None
) -> RuleFile:
    """Parse one file's bytes; errors name `directory/name.yaml:line`."""
    path = str(directory / f"{name}.yaml")
    if not _FILE_NAME.match(name):
        raise RulesError(f"{path}:1: file names are platform names (a-z, 0-9, - and _)")
    try:
        data = yaml_lines.load(content)
    except yaml_lines.YAMLLineError as exc:
        raise RulesError(f"{path}:{exc.line}: {exc.problem}") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}:1: not UTF-8 text") from None
    return parse_file(path, name, data, texts)


def build_sets(directory: Path, files: Mapping[str, RuleFile]) -> dict[str, RuleSet]:
    """Merge each platform file with default.yaml into the rule set evaluate() runs."""
    default = files["default"]
    base = replace(Uncertainty(), **default.uncertainty)
    default_action = default.default_action or "approve"
    sets = {"default": RuleSet(_ordered(default.rules), default_action, base)}
    default_ids = {rule.id for rule in default.rules}
    for name, file in files.items():
        if name == "default":
            continue
        for rule_id, line in file.disable:
            if rule_id not in default_ids:
                raise RulesError(
                    f"{directory / (name + '.yaml')}:{line}: disable: default.yaml has no rule "
                    f"{rule_id!r}"
                )
        # A platform rule reusing a default rule's id replaces it in place; new rules go first.
        own = {rule.id: rule for rule in file.rules}
        disabled = {rule_id for rule_id, _ in file.disable}
        inherited = tuple(own.get(r.id, r) for r in default.rules if r.id not in disabled)
        added = tuple(rule for rule in file.rules if rule.id not in default_ids)
        sets[name] = RuleSet(
            _ordered(added + inherited),
            file.default_action or default_action,
            replace(base, **file.uncertainty),
        )
    return sets


def _ordered(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=lambda rule: -rule.priority))
