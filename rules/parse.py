"""From a rule file's YAML to rules: every problem is a RulesError naming file and line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rules import regexes
from rules.conditions import (
    FACT_FIELDS,
    SCORE_FIELDS,
    All,
    Any_,
    Condition,
    FactCompare,
    LanguageIs,
    Not,
    ParentActionIs,
    ScoreCompare,
    SentimentIs,
    TextIndex,
    TextMatch,
    band_leaves,
)
from rules.model import ACTIONS, QUEUE_PRIORITIES, TOPIC_TAG, Rule, RulesError
from rules.text import words_regex, words_source
from rules.yaml_lines import LineDict
from vigie.settings import UI_LANGUAGES

_COMPARISON = re.compile(r"^\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SENTIMENTS = ("negative", "neutral", "positive")
FILE_KEYS = ("default_action", "uncertainty", "rules", "disable")
RULE_KEYS = (
    "id", "description", "when", "action", "reason", "tags", "priority", "queue_priority",
    "shadow", "uncertainty",
)  # fmt: skip
UNCERTAINTY_KEYS = ("band", "min_confidence", "irony_gate", "queue_priority")
IRONY_GATE_KEYS = ("irony_at_least", "toxicity_below")
TEXT_KEYS = ("words", "phrases", "regex", "raw_regex")
COMBINATORS = ("all", "any", "not")
# all/any/not levels in one rule: conditions are parsed and evaluated recursively, so a bound
# keeps a hostile or generated file from exhausting the stack of the worker that evaluates it.
MAX_NESTING = 16
CONDITION_KEYS = (
    *SCORE_FIELDS, "sentiment", "language", *TEXT_KEYS, *FACT_FIELDS, "parent_action",
    *COMBINATORS,
)  # fmt: skip


@dataclass(frozen=True)
class RuleFile:
    """One parsed file, before a platform file is merged with the default one."""

    name: str
    rules: tuple[Rule, ...]
    default_action: str | None
    uncertainty: dict[str, Any]
    disable: tuple[tuple[str, int], ...] = field(default=())


class _Where:
    """Builds error messages `path:line: problem`; carries the book's TextIndex."""

    def __init__(self, path: str, texts: TextIndex) -> None:
        self.path = path
        self.texts = texts

    def error(self, line: int, problem: str) -> RulesError:
        return RulesError(f"{self.path}:{line}: {problem}")


def parse_file(path: str, name: str, data: Any, texts: TextIndex | None = None) -> RuleFile:
    """Check and build one file's content (already loaded by `yaml_lines.load`)."""
    where = _Where(path, texts or TextIndex())
    if data is None:
        data = LineDict()
        data.line, data.lines = 1, {}
    if not isinstance(data, LineDict):
        raise where.error(1, "a rule file is a mapping (default_action, uncertainty, rules)")
    _known_keys(where, data, FILE_KEYS, "file")
    default_action = data.get("default_action")
    if default_action is not None and default_action not in ACTIONS:
        raise where.error(
            data.line_of("default_action"),
            f"default_action {default_action!r} is not one of {', '.join(ACTIONS)}",
        )
    uncertainty = _uncertainty(where, data)
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise where.error(data.line_of("rules"), "'rules' is a list of rules")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rules):
        rule = _rule(where, data.line_of("rules"), index, raw, name)
        if rule.id in seen:
            raise where.error(
                raw.line, f"rule id {rule.id!r} is already used on line {seen[rule.id]}"
            )
        seen[rule.id] = raw.line
        rules.append(rule)
    disable = _disable(where, data, name)
    return RuleFile(name, tuple(rules), default_action, uncertainty, disable)


def _known_keys(where: _Where, data: LineDict, allowed: tuple[str, ...], what: str) -> None:
    for key in data:
        if key not in allowed:
            raise where.error(
                data.line_of(key),
                f"unknown field {key!r} in {what} (expected one of: {', '.join(allowed)})",
            )


def _disable(where: _Where, data: LineDict, name: str) -> tuple[tuple[str, int], ...]:
    raw = data.get("disable")
    if raw is None:
        return ()
    line = data.line_of("disable")
    if name == "default":
        raise where.error(line, "'disable' only makes sense in a platform file")
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise where.error(line, "'disable' is a list of rule ids from default.yaml")
    return tuple((x, line) for x in raw)


def _uncertainty(where: _Where, data: LineDict) -> dict[str, Any]:
    raw = data.get("uncertainty")
    if raw is None:
        return {}
    line = data.line_of("uncertainty")
    if not isinstance(raw, LineDict):
        raise where.error(line, "'uncertainty' is a mapping (band, min_confidence, irony_gate)")
    _known_keys(where, raw, UNCERTAINTY_KEYS, "uncertainty")
    result: dict[str, Any] = {}
    for key in ("band", "min_confidence"):
        if key in raw:
            result[key] = _probability(where, raw.line_of(key), key, raw[key])
    if "queue_priority" in raw:
        result["queue_priority"] = _queue_priority(where, raw.line_of("queue_priority"), raw)
    if "irony_gate" in raw:
        gate = raw["irony_gate"]
        gate_line = raw.line_of("irony_gate")
        if gate is False or gate == "off":
            result["irony_at_least"] = None
        elif isinstance(gate, LineDict):
            _known_keys(where, gate, IRONY_GATE_KEYS, "irony_gate")
            if "irony_at_least" in gate:
                result["irony_at_least"] = _probability(
                    where, gate.line_of("irony_at_least"), "irony_at_least", gate["irony_at_least"]
                )
            if "toxicity_below" in gate:
                result["toxicity_below"] = _probability(
                    where, gate.line_of("toxicity_below"), "toxicity_below", gate["toxicity_below"]
                )
        else:
            raise where.error(
                gate_line, "'irony_gate' is a mapping (irony_at_least, toxicity_below) or off"
            )
    return result


def _probability(where: _Where, line: int, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise where.error(line, f"{key} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _queue_priority(where: _Where, line: int, data: LineDict) -> str:
    value = data["queue_priority"]
    if value not in QUEUE_PRIORITIES:
        raise where.error(
            line, f"queue_priority {value!r} is not one of {', '.join(QUEUE_PRIORITIES)}"
        )
    return str(value)


def _rule(where: _Where, rules_line: int, index: int, raw: Any, file_name: str) -> Rule:
    if not isinstance(raw, LineDict):
        raise where.error(rules_line, f"rule #{index + 1} is not a mapping with id, when, action")
    _known_keys(where, raw, RULE_KEYS, "rule")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise where.error(
            raw.line_of("id"),
            f"rule #{index + 1} needs an 'id' of lowercase letters, digits, - and _ (got {rule_id!r})",
        )

    def err(key: str, problem: str) -> RulesError:
        return where.error(raw.line_of(key), f"rule {rule_id}: {problem}")

    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise err("description", "needs a 'description' saying what it is for")
    if "when" not in raw:
        raise err("id", "needs a 'when' (its conditions)")
    when = _condition_map(where, raw, "when", f"rule {rule_id}")
    action, tags = _action_and_tags(err, raw)
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise err("priority", f"priority is a whole number (higher runs first), got {priority!r}")
    for flag in ("shadow", "uncertainty"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise err(flag, f"{flag} is true or false, got {raw[flag]!r}")
    reason, translations = _reason(where, err, raw, rule_id, description.strip())
    return Rule(
        id=rule_id,
        description=description.strip(),
        when=when,
        action=action,
        reason=reason,
        reason_translations=translations,
        tags=tags,
        priority=priority,
        queue_priority=_rule_queue_priority(where, err, raw, action),
        shadow=bool(raw.get("shadow", False)),
        uncertainty=bool(raw.get("uncertainty", True)),
        source=f"{file_name}.yaml:{raw.line}",
        band=band_leaves(when),
    )


def _reason(
    where: _Where,
    err: Callable[[str, str], RulesError],
    raw: LineDict,
    rule_id: str,
    description: str,
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The reason's default text and its translations.

    Plain text is the reason in every language; a mapping gives it by language code: `en`
    (required: what decisions store and the API returns) and any other of UI_LANGUAGES.
    No reason at all is the description, in every language.
    """
    value = raw.get("reason")
    if value is None:
        return description, ()
    if isinstance(value, str):
        return value.strip() or description, ()
    if not isinstance(value, LineDict):
        raise err(
            "reason",
            "reason is text shown to the moderator, or a mapping of it by language "
            f"({', '.join(UI_LANGUAGES)})",
        )
    texts: dict[str, str] = {}
    for language, text in value.items():
        line = value.line_of(language)
        if language not in UI_LANGUAGES:
            raise where.error(
                line,
                f"rule {rule_id}: reason: unknown language {language!r} (the moderators' "
                f"pages are in: {', '.join(UI_LANGUAGES)})",
            )
        if not isinstance(text, str) or not text.strip():
            raise where.error(
                line,
                f"rule {rule_id}: reason: {language} is the non-empty text shown on "
                f"{language} pages, got {text!r}",
            )
        texts[language] = text.strip()
    if "en" not in texts:
        raise err(
            "reason",
            "a reason given by language needs 'en': the text decisions store and the API returns",
        )
    default = texts.pop("en")
    return default, tuple(sorted(texts.items()))


def _action_and_tags(
    err: Callable[[str, str], RulesError], raw: LineDict
) -> tuple[str | None, tuple[str, ...]]:
    action = raw.get("action")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise err("tags", "'tags' is a list of words")
    if action is None and not tags:
        raise err("id", f"needs an 'action' ({', '.join(ACTIONS)}) or 'tags'")
    if action is not None and action not in ACTIONS:
        raise err("action", f"action {action!r} is not one of {', '.join(ACTIONS)}")
    for tag in tags:
        if tag.strip().lower().startswith(TOPIC_TAG):
            raise err(
                "tags",
                f"tag {tag.strip()!r}: tags starting with {TOPIC_TAG!r} are Vigie's own (the "
                "watched topics of VIGIE_ALERT_TOPICS, which alerts filter the queue by)",
            )
    return action, tuple(t.strip() for t in tags)


def _rule_queue_priority(
    where: _Where, err: Callable[[str, str], RulesError], raw: LineDict, action: str | None
) -> str | None:
    """The review queue priority: as written, else normal for review and urgent for escalate."""
    if "queue_priority" in raw:
        if action not in ("review", "escalate"):
            raise err("queue_priority", "queue_priority only applies to review and escalate")
        return _queue_priority(where, raw.line_of("queue_priority"), raw)
    return {"review": "normal", "escalate": "urgent"}.get(action or "")


def _condition_map(
    where: _Where, parent: LineDict, key: str, context: str, depth: int = 1
) -> Condition:
    """A mapping of conditions, all of which must hold; `depth` counts enclosing mappings."""
    data = parent[key]
    line = parent.line_of(key)
    if not isinstance(data, LineDict) or not data:
        raise where.error(line, f"{context}: '{key}' is a non-empty mapping of conditions")
    if depth > MAX_NESTING:
        raise where.error(line, f"{context}: conditions nest more than {MAX_NESTING} levels deep")
    children: list[Condition] = []
    for name, value in data.items():
        children.append(_condition(where, data, name, value, context, depth))
    return children[0] if len(children) == 1 else All(tuple(children))


def _condition(
    where: _Where, data: LineDict, name: str, value: Any, context: str, depth: int = 1
) -> Condition:
    line = data.line_of(name)

    def err(problem: str) -> RulesError:
        return where.error(line, f"{context}: {problem}")

    if name in SCORE_FIELDS:
        return _all(
            _comparisons(err, name, value, score=True), lambda o, t: ScoreCompare(name, o, t)
        )
    if name in FACT_FIELDS:
        attribute = FACT_FIELDS[name]
        return _all(
            _comparisons(err, name, value, score=False),
            lambda o, t: FactCompare(name, attribute, o, t),
        )
    if name == "sentiment":
        return SentimentIs(_choices(err, name, value, SENTIMENTS))
    if name == "parent_action":
        return ParentActionIs(_choices(err, name, value, (*ACTIONS, "none")))
    if name == "language":
        codes = _strings(err, name, value)
        if not all(re.fullmatch(r"[a-z]{2,3}", c.lower()) for c in codes):
            raise err(f"language codes are like en, fr, und (got {codes}); quote 'no' and 'on'")
        return LanguageIs(frozenset(c.lower() for c in codes))
    if name in ("words", "phrases"):
        entries = _strings(err, name, value)
        if name == "words" and any(len(e.rstrip("*").split()) != 1 for e in entries):
            raise err("'words' are single words; put several words under 'phrases'")
        pattern = words_regex(entries)
        index = where.texts.add(words_source(entries), raw=False)
        return TextMatch(name, _shown(entries), pattern, False, where.texts, index)
    if name in ("regex", "raw_regex"):
        patterns = _strings(err, name, value)
        matches: list[Condition] = []
        for source in patterns:
            try:
                compiled = regexes.compile_safe(source)
            except regexes.RegexError as exc:
                raise err(f"{name} '{source}': {exc}") from None
            raw = name == "raw_regex"
            index = where.texts.add(source, raw)
            matches.append(TextMatch(name, f"'{source}'", compiled, raw, where.texts, index))
        return matches[0] if len(matches) == 1 else Any_(tuple(matches))
    if name in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise err(f"'{name}' is a non-empty list of condition mappings")
        children = []
        for item in value:
            if not isinstance(item, LineDict):
                raise err(f"each item of '{name}' is a mapping of conditions")
            holder = LineDict(item=item)
            holder.line, holder.lines = item.line, {"item": item.line}
            children.append(_condition_map(where, holder, "item", context, depth + 1))
        return All(tuple(children)) if name == "all" else Any_(tuple(children))
    if name == "not":
        return Not(_condition_map(where, data, "not", context, depth + 1))
    raise err(f"unknown condition {name!r} (expected one of: {', '.join(CONDITION_KEYS)})")


def _all(
    comparisons: list[tuple[str, float]], make: Callable[[str, float], Condition]
) -> Condition:
    built = [make(op, threshold) for op, threshold in comparisons]
    return built[0] if len(built) == 1 else All(tuple(built))


def _comparisons(
    err: Callable[[str], RulesError], name: str, value: Any, *, score: bool
) -> list[tuple[str, float]]:
    items = value if isinstance(value, list) and value else [value]
    result = []
    for item in items:
        found = _COMPARISON.match(item) if isinstance(item, str) else None
        if not found:
            example = '"> 0.85"' if score else '"< 7"'
            raise err(f"bad comparison {item!r} for {name}: write it quoted, such as {example}")
        threshold = float(found.group(2))
        if score and not 0 <= threshold <= 1:
            raise err(f"{name} is a probability: {threshold:g} is outside 0..1")
        if not score and threshold < 0:
            raise err(f"{name} is never negative: {threshold:g}")
        result.append((found.group(1), threshold))
    return result


def _strings(err: Callable[[str], RulesError], name: str, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise err(f"'{name}' is a text or a list of texts (quote yes/no/on/off and numbers)")
    return [i.strip() for i in items]


def _choices(
    err: Callable[[str], RulesError], name: str, value: Any, allowed: tuple[str, ...]
) -> frozenset[str]:
    items = _strings(err, name, value)
    for item in items:
        if item not in allowed:
            raise err(f"{name} {item!r} is not one of {', '.join(allowed)}")
    return frozenset(items)


def _shown(entries: list[str]) -> str:
    shown = ", ".join(entries[:5])
    return f"[{shown}{', ...' if len(entries) > 5 else ''}]"
