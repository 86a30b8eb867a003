"""The rule engine's plain data: rules, rule sets, the rule book and verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rules.conditions import Condition, ScoreCompare, TextMatcher

ACTIONS = ("approve", "remove", "review", "escalate")
QUEUE_PRIORITIES = ("low", "normal", "high", "urgent")
# Review items of a watched topic are tagged "topic:NAME" (moderation/review/queue.py); rules
# may not use the prefix, or their items would join a topic incident's queue.
TOPIC_TAG = "topic:"


class RulesError(ValueError):
    """A rule file is invalid; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Rule:
    """One rule. `action` None means a tag-only rule: it adds tags and never decides."""

    id: str
    description: str
    when: Condition
    action: str | None
    reason: str = ""
    tags: tuple[str, ...] = ()
    priority: int = 0
    queue_priority: str | None = None
    shadow: bool = False
    uncertainty: bool = True
    source: str = ""
    band: tuple[ScoreCompare, ...] = ()
    # The reason in other languages of the moderators' pages, as (language, text) pairs:
    # `reason` is the default text (English), the one decisions store and the API returns.
    reason_translations: tuple[tuple[str, str], ...] = ()

    def reason_in(self, language: str) -> str:
        """The reason in `language` when the rule file gives it, else the default text."""
        return dict(self.reason_translations).get(language, self.reason)


@dataclass(frozen=True)
class Uncertainty:
    """When an automatic removal goes to a human instead (the platform's uncertainty band)."""

    band: float = 0.0
    min_confidence: float = 0.0
    irony_at_least: float | None = None
    toxicity_below: float = 1.0
    queue_priority: str = "high"


@dataclass(frozen=True)
class RuleSet:
    """One platform's rules in evaluation order (priority, then file order)."""

    rules: tuple[Rule, ...]
    default_action: str
    uncertainty: Uncertainty = field(default_factory=Uncertainty)


@dataclass(frozen=True)
class RuleBook:
    """Rule sets by platform (with a 'default'), and the version of the files they came from."""

    sets: Mapping[str, RuleSet]
    version: str
    files: tuple[str, ...] = field(default=())
    matcher: TextMatcher | None = field(default=None, compare=False, repr=False)

    def for_platform(self, platform: str) -> RuleSet:
        return self.sets.get(platform) or self.sets["default"]

    def reason_in(self, platform: str, rule_ids: Iterable[str], text: str, language: str) -> str:
        """A reason a decision stored (`text`, the default wording), in `language`.

        Translated by the rule that gave it: one of the decision's rules on its platform whose
        default reason is still `text`, else any rule of the book with that reason. Text no
        current rule gives (an edited rule, the engine's own words) comes back as it is.
        """
        rules = {rule.id: rule for rule in self.for_platform(platform).rules}
        for rule_id in rule_ids:
            rule = rules.get(rule_id)
            if rule is not None and rule.reason == text:
                return rule.reason_in(language)
        names = ["default", *sorted(name for name in self.sets if name != "default")]
        for name in names:
            for rule in self.sets[name].rules:
                if rule.reason == text and rule.reason_translations:
                    found = rule.reason_in(language)
                    if found != text:
                        return found
        return text

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag a live rule of any platform can add, in rule order, each once."""
        return tuple(
            dict.fromkeys(
                tag
                for name in sorted(self.sets)
                for rule in self.sets[name].rules
                if not rule.shadow
                for tag in rule.tags
            )
        )


@dataclass(frozen=True)
class ShadowMatch:
    """A shadow rule that matched: its own action, and the decision had it been live."""

    rule_id: str
    action: str | None
    would_decide: str


@dataclass(frozen=True)
class Verdict:
    """What the rules decided for one comment.

    `rule_ids` lists every live rule that matched, the deciding one first; `priority` is the
    review queue priority (None for approve and remove); `shadow` never affects the rest.
    """

    action: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rules_version: str
    tags: tuple[str, ...] = ()
    priority: str | None = None
    decided_by: str | None = None
    shadow: tuple[ShadowMatch, ...] = ()

    @property
    def recorded_rule_ids(self) -> tuple[str, ...]:
        """What a Decision stores: the live rule ids, then `shadow:<id>` for each shadow match."""
        return self.rule_ids + tuple(f"shadow:{match.rule_id}" for match in self.shadow)
