"""Conditions: small frozen predicates over one comment's scores, text and facts.

Each condition answers `test(ctx)` (fast, used for every comment) and `explain(ctx)` (a
human sentence, used by `vigie rules test` and the back-test).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules.regexes import PatternSet
from rules.text import MAX_CHECKED_CHARS, normalise

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
SCORE_FIELDS = ("toxicity", "irony", "negative", "positive", "neutral", "confidence")
# Rule-file names of author and thread facts -> CommentFacts attributes.
FACT_FIELDS = {
    "author_age_days": "author_account_age_days",
    "author_followers": "author_followers",
    "author_prior_removals": "author_prior_removals",
    "reply_depth": "reply_depth",
}


class TextIndex:
    """Numbers the text conditions of one rule book, to match them all in one pass per text."""

    def __init__(self) -> None:
        self.sources: dict[bool, list[str]] = {False: [], True: []}

    def add(self, source: str, raw: bool) -> int:
        self.sources[raw].append(source)
        return len(self.sources[raw]) - 1

    def compile(self) -> TextMatcher:
        return TextMatcher(self, PatternSet(self.sources[False]), PatternSet(self.sources[True]))


class TextMatcher:
    """Which of a rule book's text conditions hold for a text (normalised or raw)."""

    def __init__(self, registry: TextIndex, normalised: PatternSet, raw: PatternSet) -> None:
        self.registry = registry
        self.normalised = normalised
        self.raw = raw


class Context:
    """One comment as the conditions see it; normalising and text matching happen at most once."""

    __slots__ = ("_hits", "_normalised", "facts", "matcher", "scores")

    def __init__(
        self, facts: CommentFacts, scores: Scores, matcher: TextMatcher | None = None
    ) -> None:
        self.facts = facts
        self.scores = scores
        self.matcher = matcher
        self._normalised: str | None = None
        self._hits: dict[bool, frozenset[int]] = {}

    @property
    def raw_text(self) -> str:
        text = self.facts.text
        return text[:MAX_CHECKED_CHARS] if isinstance(text, str) else ""

    @property
    def normalised(self) -> str:
        if self._normalised is None:
            self._normalised = normalise(self.raw_text)
        return self._normalised

    def hits(self, matcher: TextMatcher, raw: bool) -> frozenset[int]:
        found = self._hits.get(raw)
        if found is None:
            if raw:
                found = matcher.raw.matches(self.raw_text)
            else:
                found = matcher.normalised.matches(self.normalised)
            self._hits[raw] = found
        return found

    @property
    def language(self) -> str:
        lang = self.facts.language or self.scores.language or ""
        return lang.lower().split("-")[0]


class Condition(Protocol):
    def test(self, ctx: Context) -> bool: ...

    def explain(self, ctx: Context) -> str: ...


def _mark(ok: bool) -> str:
    return "yes" if ok else "no"


@dataclass(frozen=True)
class ScoreCompare:
    """`toxicity: "> 0.85"`: a model score compared with a threshold."""

    field: str
    op: str
    threshold: float

    def test(self, ctx: Context) -> bool:
        return OPERATORS[self.op](getattr(ctx.scores, self.field), self.threshold)

    def margin(self, ctx: Context) -> float:
        return abs(float(getattr(ctx.scores, self.field)) - self.threshold)

    def explain(self, ctx: Context) -> str:
        value = float(getattr(ctx.scores, self.field))
        return f"{_mark(self.test(ctx))}: {self.field} {value:.3f} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class FactCompare:
    """`author_age_days: "< 7"`: an author or thread fact compared; an unknown fact never matches."""

    name: str
    attribute: str
    op: str
    threshold: float

    def test(self, ctx: Context) -> bool:
        value = getattr(ctx.facts, self.attribute)
        if value is None:
            return False
        return OPERATORS[self.op](value, self.threshold)

    def explain(self, ctx: Context) -> str:
        value = getattr(ctx.facts, self.attribute)
        shown = "unknown" if value is None else str(value)
        return f"{_mark(self.test(ctx))}: {self.name} {shown} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class SentimentIs:
    """`sentiment: negative`: the most likely sentiment is one of these."""

    labels: frozenset[str]

    def test(self, ctx: Context) -> bool:
        return ctx.scores.sentiment in self.labels

    def explain(self, ctx: Context) -> str:
        wanted = "/".join(sorted(self.labels))
        return f"{_mark(self.test(ctx))}: sentiment {ctx.scores.sentiment} is {wanted}"


@dataclass(frozen=True)
class LanguageIs:
    """`language: [fr, en]`: the comment's language (primary subtag) is one of these."""

    codes: frozenset[str]

    def test(self, ctx: Context) -> bool:
        return ctx.language in self.codes

    def explain(self, ctx: Context) -> str:
        wanted = "/".join(sorted(self.codes))
        return f"{_mark(self.test(ctx))}: language {ctx.language or 'unknown'} is {wanted}"


@dataclass(frozen=True)
class ParentActionIs:
    """`parent_action: remove`: what Vigie decided for the parent comment ("none": no decision)."""

    actions: frozenset[str]

    def test(self, ctx: Context) -> bool:
        return (ctx.facts.parent_action or "none") in self.actions

    def explain(self, ctx: Context) -> str:
        wanted = "/".join(sorted(self.actions))
        got = ctx.facts.parent_action or "none"
        return f"{_mark(self.test(ctx))}: parent decision {got} is {wanted}"


@dataclass(frozen=True)
class TextMatch:
    """`words:`, `phrases:`, `regex:` or `raw_regex:`: a pattern found in the comment's text.

    `registry` and `index` place the pattern in its rule book's TextMatcher, which answers for
    all of the book's patterns in one scan; without a matcher the pattern searches alone.
    """

    kind: str
    source: str
    pattern: Any  # an RE2 pattern (rules/regexes.py)
    raw: bool = False
    registry: TextIndex | None = field(default=None, compare=False, repr=False)
    index: int = -1

    def _search(self, ctx: Context) -> Any:
        return self.pattern.search(ctx.raw_text if self.raw else ctx.normalised)

    def test(self, ctx: Context) -> bool:
        matcher = ctx.matcher
        if matcher is not None and matcher.registry is self.registry:
            return self.index in ctx.hits(matcher, self.raw)
        return self._search(ctx) is not None

    def explain(self, ctx: Context) -> str:
        found = self._search(ctx)
        if found is None:
            return f"no: {self.kind} {self.source} not found"
        group = 1 if self.kind in ("words", "phrases") else 0
        return f"yes: {self.kind} found {found.group(group)!r}"


@dataclass(frozen=True)
class All:
    """`all: [...]` (and a `when:` mapping): every condition holds.

    `test` tries cheap comparisons before text searches (same answer, less work); `explain`
    keeps the order of the file.
    """

    children: tuple[Condition, ...]
    ordered: tuple[Condition, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", _cheap_first(self.children))

    def test(self, ctx: Context) -> bool:
        return all(c.test(ctx) for c in self.ordered)

    def explain(self, ctx: Context) -> str:
        return _group("all of", self.test(ctx), self.children, ctx)


@dataclass(frozen=True)
class Any_:
    """`any: [...]`: at least one condition holds (cheap ones tried first)."""

    children: tuple[Condition, ...]
    ordered: tuple[Condition, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", _cheap_first(self.children))

    def test(self, ctx: Context) -> bool:
        return any(c.test(ctx) for c in self.ordered)

    def explain(self, ctx: Context) -> str:
        return _group("any of", self.test(ctx), self.children, ctx)


@dataclass(frozen=True)
class Not:
    """`not: {...}`: the condition does not hold."""

    child: Condition

    def test(self, ctx: Context) -> bool:
        return not self.child.test(ctx)

    def explain(self, ctx: Context) -> str:
        return _group("not", self.test(ctx), (self.child,), ctx)


def cost(condition: Condition) -> int:
    """How expensive a condition is to test: text searches cost, comparisons do not."""
    if isinstance(condition, TextMatch):
        return 1
    if isinstance(condition, All | Any_):
        return max(cost(c) for c in condition.children)
    if isinstance(condition, Not):
        return cost(condition.child)
    return 0


def _cheap_first(children: tuple[Condition, ...]) -> tuple[Condition, ...]:
    return tuple(sorted(children, key=cost))


def _group(label: str, ok: bool, children: tuple[Condition, ...], ctx: Context) -> str:
    lines = [f"{_mark(ok)}: {label}"]
    for child in children:
        lines.extend("  " + line for line in child.explain(ctx).splitlines())
    return "\n".join(lines)


def band_leaves(condition: Condition) -> tuple[ScoreCompare, ...]:
    """Score comparisons that must all hold for `condition` to hold (not under any/not)."""
    if isinstance(condition, ScoreCompare):
        return (condition,) if condition.field != "confidence" else ()
    if isinstance(condition, All):
        return tuple(leaf for child in condition.children for leaf in band_leaves(child))
    return ()
