"""Properties of the evaluator over generated comments and generated rule files."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rules_helpers import HERE

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules import RuleBook, Verdict, evaluate, load_rulebook, rulebook_from_sources
from rules.conditions import Context
from rules.model import ACTIONS

SHIPPED = load_rulebook()
PLATFORMS = ["x", "instagram", "facebook", "tiktok", "youtube", "linkedin", "web", "", "?"]
VOCABULARY = ["idiot", "connard", "spam", "free crypto", "je vais te tuer", "merci", "kys"]
probability = st.floats(min_value=0, max_value=1) | st.just(float("nan"))
count = st.none() | st.integers(min_value=-5, max_value=10**9)

scores_st = st.builds(
    Scores,
    toxicity=probability,
    irony=probability,
    negative=probability,
    positive=probability,
    language=st.sampled_from(["en", "fr", "und", "", "EN-us"]) | st.text(max_size=5),
    confidence=probability,
    model_version=st.just("prop"),
)
text_st = st.text(max_size=300) | st.lists(
    st.sampled_from([*VOCABULARY, "1d10t", "I.D.I.O.T", "https://x.co", "🙄", "é", " "]),
    max_size=12,
).map(" ".join)
facts_st = st.builds(
    CommentFacts,
    platform=st.sampled_from(PLATFORMS),
    text=text_st,
    language=st.sampled_from(["en", "fr", "und", ""]),
    author_account_age_days=count,
    author_followers=count,
    author_prior_removals=st.integers(min_value=-1, max_value=100),
    reply_depth=st.integers(min_value=-1, max_value=50),
    parent_action=st.none() | st.sampled_from([*ACTIONS, "weird"]),
)

threshold = st.sampled_from(["> 0.5", ">= 0.9", "< 0.2", "<= 0.7", "== 0", "!= 1"])
leaf = st.one_of(
    st.fixed_dictionaries({"toxicity": threshold}),
    st.fixed_dictionaries({"irony": threshold}),
    st.fixed_dictionaries({"confidence": threshold}),
    st.fixed_dictionaries({"negative": threshold}),
    st.fixed_dictionaries({"sentiment": st.sampled_from(["negative", "neutral", "positive"])}),
    st.fixed_dictionaries({"language": st.sampled_from(["en", "fr"])}),
    st.fixed_dictionaries(
        {"words": st.lists(st.sampled_from(["idiot", "connard", "spam"]), min_size=1)}
    ),
    st.fixed_dictionaries({"phrases": st.lists(st.sampled_from(VOCABULARY), min_size=1)}),
    st.fixed_dictionaries({"regex": st.sampled_from([r"fr[e3]+", r"\d{3,}", r"(a+)+b"])}),
    st.fixed_dictionaries({"raw_regex": st.sampled_from([r"https?://", r"[A-Z]{4,}"])}),
    st.fixed_dictionaries({"author_age_days": st.sampled_from(["< 7", ">= 30"])}),
    st.fixed_dictionaries({"reply_depth": st.sampled_from([">= 1", "== 0"])}),
    st.fixed_dictionaries({"parent_action": st.sampled_from(["remove", "none"])}),
)
condition = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"not": inner}),
    ),
    max_leaves=4,
)


@st.composite
def rule_st(draw: Any, shadow: bool = False) -> dict[str, Any]:
    action = draw(st.sampled_from([*ACTIONS, None]))
    rule: dict[str, Any] = {
        "id": f"r{draw(st.integers(0, 10**9))}",
        "description": "generated",
        "when": draw(condition),
        "priority": draw(st.integers(-2, 2)),
        "tags": draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2)),
        "shadow": shadow,
        "uncertainty": draw(st.booleans()),
    }
    if action is None and not rule["tags"]:
        action = "review"
    if action is not None:
        rule["action"] = action
    return rule


rules_st = st.lists(rule_st(), max_size=6, unique_by=lambda r: r["id"])
files_st = st.fixed_dictionaries(
    {
        "default_action": st.sampled_from(ACTIONS),
        "uncertainty": st.fixed_dictionaries(
            {
                "band": st.sampled_from([0, 0.05, 0.2]),
                "min_confidence": st.sampled_from([0, 0.5]),
                "irony_gate": st.sampled_from(
                    [False, {"irony_at_least": 0.5, "toxicity_below": 0.95}]
                ),
            }
        ),
        "rules": rules_st,
    }
)


def build(default: dict[str, Any], x: dict[str, Any] | None = None) -> RuleBook:
    sources = {"default": yaml.safe_dump(default)}
    if x is not None:
        sources["x"] = yaml.safe_dump(x)
    return rulebook_from_sources(sources, HERE)


def decision(verdict: Verdict) -> tuple[Any, ...]:
    """Everything that acts: all of the verdict but the version and the shadow report."""
    return (
        verdict.action,
        verdict.reasons,
        verdict.rule_ids,
        verdict.tags,
        verdict.priority,
        verdict.decided_by,
    )


quick = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(facts_st, scores_st)
def test_it_never_raises_on_any_comment_with_the_shipped_rules(
    facts: CommentFacts, scores: Scores
) -> None:
    """Any text, any facts, any scores (NaN included): a valid verdict, never an exception."""
    verdict = evaluate(SHIPPED, facts, scores)
    assert verdict.action in ACTIONS
    assert verdict.rules_version == SHIPPED.version


@quick
@given(files_st, st.none() | rules_st, facts_st, scores_st)
def test_it_never_raises_with_generated_rules(
    default: dict[str, Any],
    x_rules: list[dict[str, Any]] | None,
    facts: CommentFacts,
    scores: Scores,
) -> None:
    """Generated rule files evaluate any comment to a valid verdict."""
    book = build(default, None if x_rules is None else {"rules": x_rules})
    assert evaluate(book, facts, scores).action in ACTIONS


@quick
@given(files_st, rule_st(shadow=True), st.integers(0, 6), facts_st, scores_st)
def test_it_never_lets_a_shadow_rule_change_a_decision(
    default: dict[str, Any],
    shadow: dict[str, Any],
    position: int,
    facts: CommentFacts,
    scores: Scores,
) -> None:
    """Adding a shadow rule anywhere, at any priority, changes nothing but the shadow report."""
    before = evaluate(build(default), facts, scores)
    with_shadow = dict(default, rules=list(default["rules"]))
    shadow["id"] = "shadow-under-test"
    with_shadow["rules"].insert(min(position, len(with_shadow["rules"])), shadow)
    after = evaluate(build(with_shadow), facts, scores)
    assert decision(after) == decision(before)
    assert {m.rule_id for m in after.shadow} <= {"shadow-under-test"}


@quick
@given(files_st, facts_st, scores_st, st.integers(0, 5))
def test_it_never_changes_a_decision_when_a_non_matching_rule_is_removed(
    default: dict[str, Any], facts: CommentFacts, scores: Scores, pick: int
) -> None:
    """Deleting a rule that did not match leaves the verdict as it was."""
    book = build(default)
    before = evaluate(book, facts, scores)
    ctx = Context(facts, scores)
    rules = book.for_platform(facts.platform).rules
    idle = [r.id for r in rules if not r.when.test(ctx)]
    assume(idle)
    gone = idle[pick % len(idle)]
    kept = dict(default, rules=[r for r in default["rules"] if r["id"] != gone])
    after = evaluate(build(kept), facts, scores)
    assert decision(after) == decision(before)
    assert after.shadow == before.shadow


@quick
@given(facts_st, scores_st)
def test_it_matches_text_in_one_pass_exactly_like_rule_by_rule(
    facts: CommentFacts, scores: Scores
) -> None:
    """The book-wide pattern set gives every shipped rule the answer its own search gives."""
    with_set = Context(facts, scores, SHIPPED.matcher)
    alone = Context(facts, scores)
    for rule in SHIPPED.for_platform(facts.platform).rules:
        assert rule.when.test(with_set) == rule.when.test(alone), rule.id
