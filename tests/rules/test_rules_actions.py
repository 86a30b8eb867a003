"""Actions, tags, queue priorities, evaluation order, inheritance, uncertainty and shadow."""

from __future__ import annotations

import pytest
from rules_helpers import book_from, decide, scores

from rules import ShadowMatch


@pytest.mark.parametrize(
    ("action", "queue", "expected_priority"),
    [
        ("approve", None, None),
        ("remove", None, None),
        ("review", None, "normal"),
        ("review", "high", "high"),
        ("escalate", None, "urgent"),
        ("escalate", "low", "low"),
    ],
)
def test_it_applies_each_action_with_its_queue_priority(
    action: str, queue: str | None, expected_priority: str | None
) -> None:
    """The matching rule's action decides; review and escalate carry a queue priority."""
    extra = f"\n            queue_priority: {queue}" if queue else ""
    book = book_from(
        f"""
        rules:
          - id: r
            description: d
            when: {{words: [trigger]}}
            action: {action}
            reason: shown to moderators
            tags: [t1, t2]{extra}
        """
    )
    verdict = decide(book, "a trigger here")
    assert verdict.action == action
    assert verdict.priority == expected_priority
    assert verdict.reasons == ("shown to moderators",)
    assert verdict.tags == ("t1", "t2")
    assert verdict.decided_by == "r"


def test_it_uses_the_default_action_when_no_rule_matches() -> None:
    """No match means default_action, with no rule ids."""
    book = book_from("default_action: review\nrules: []\n")
    verdict = decide(book)
    assert (verdict.action, verdict.rule_ids, verdict.priority) == ("review", (), "low")


def test_it_lets_the_first_matching_rule_in_file_order_decide() -> None:
    """With equal priorities the earlier rule decides; later matches are still recorded."""
    book = book_from(
        """
        rules:
          - {id: first, description: d, when: {words: [spam]}, action: review, tags: [a]}
          - {id: second, description: d, when: {words: [spam]}, action: remove, tags: [b]}
        """
    )
    verdict = decide(book, "spam")
    assert verdict.action == "review"
    assert verdict.rule_ids == ("first", "second")
    assert verdict.tags == ("a", "b")


def test_it_runs_higher_priority_rules_first() -> None:
    """A later rule with a higher priority decides before earlier ones."""
    book = book_from(
        """
        rules:
          - {id: low, description: d, when: {words: [spam]}, action: review}
          - {id: high, description: d, priority: 10, when: {words: [spam]}, action: remove}
        """
    )
    verdict = decide(book, "spam")
    assert verdict.action == "remove"
    assert verdict.rule_ids == ("high", "low")


def test_it_lets_tag_only_rules_add_tags_without_deciding() -> None:
    """A rule without an action adds its tags and id but never decides."""
    book = book_from(
        """
        rules:
          - {id: tagger, description: d, when: {words: [refund]}, tags: [billing]}
          - {id: decider, description: d, when: {words: [scam]}, action: remove}
        """
    )
    only_tag = decide(book, "refund please")
    assert (only_tag.action, only_tag.tags, only_tag.rule_ids) == (
        "approve",
        ("billing",),
        ("tagger",),
    )
    both = decide(book, "refund scam")
    assert (both.action, both.decided_by, both.rule_ids) == (
        "remove",
        "decider",
        ("decider", "tagger"),
    )


def test_it_puts_a_platform_files_new_rules_before_inherited_ones() -> None:
    """Platform rules come first; a platform without a file uses default.yaml."""
    book = book_from(
        "rules: [{id: base, description: d, when: {words: [x]}, action: review}]",
        x="rules: [{id: strict, description: d, when: {words: [x]}, action: remove}]",
    )
    assert decide(book, "x", platform="x").action == "remove"
    assert decide(book, "x", platform="youtube").action == "review"
    assert decide(book, "x", platform="x").rule_ids == ("strict", "base")


def test_it_replaces_an_inherited_rule_in_place_when_a_platform_reuses_its_id() -> None:
    """Reusing an id overrides the default rule at its position, not before the others."""
    book = book_from(
        """
        rules:
          - {id: abuse, description: d, when: {toxicity: "> 0.9"}, action: remove}
          - {id: mid, description: d, when: {toxicity: ">= 0.5"}, action: review}
        """,
        x='rules: [{id: mid, description: d, when: {toxicity: ">= 0.7"}, action: review}]',
    )
    assert decide(book, score=scores(toxicity=0.95), platform="x").action == "remove"
    assert decide(book, score=scores(toxicity=0.6), platform="x").action == "approve"
    assert decide(book, score=scores(toxicity=0.6), platform="web").action == "review"


def test_it_drops_inherited_rules_a_platform_disables() -> None:
    """`disable: [id]` removes a default rule for that platform only."""
    book = book_from(
        "rules: [{id: swear, description: d, when: {words: [damn]}, action: review}]",
        x="disable: [swear]",
    )
    assert decide(book, "damn", platform="x").action == "approve"
    assert decide(book, "damn", platform="linkedin").action == "review"


def test_it_inherits_default_action_and_uncertainty_unless_overridden() -> None:
    """Platform files override settings key by key."""
    book = book_from(
        "default_action: review\nuncertainty: {band: 0.1, min_confidence: 0.4}\n",
        x="uncertainty: {band: 0.2}\n",
    )
    x = book.for_platform("x")
    assert (x.default_action, x.uncertainty.band, x.uncertainty.min_confidence) == (
        "review",
        0.2,
        0.4,
    )


REMOVE_ABOVE_08 = """
uncertainty:
  band: 0.05
  min_confidence: 0.6
  irony_gate: {irony_at_least: 0.5, toxicity_below: 0.95}
rules:
  - {id: abuse, description: d, when: {toxicity: "> 0.8"}, action: remove}
  - id: scam
    description: d
    when: {words: [bitcoin]}
    action: remove
    uncertainty: false
"""


@pytest.mark.parametrize(
    ("score", "action", "why"),
    [
        ({"toxicity": 0.9}, "remove", None),
        ({"toxicity": 0.83}, "review", "within 0.05"),
        ({"toxicity": 0.9, "confidence": 0.5}, "review", "confidence"),
        ({"toxicity": 0.9, "irony": 0.7}, "review", "irony gate"),
        ({"toxicity": 0.97, "irony": 0.7}, "remove", None),
        ({"toxicity": 0.9, "confidence": float("nan")}, "review", "confidence"),
        ({"toxicity": 0.9, "irony": float("nan")}, "review", "irony gate"),
    ],
)
def test_it_sends_doubtful_removals_to_review(
    score: dict[str, float], action: str, why: str | None
) -> None:
    """Near-threshold, low-confidence and ironic removals go to a human, high priority."""
    book = book_from(REMOVE_ABOVE_08)
    verdict = decide(book, "text", scores(**score))
    assert verdict.action == action
    assert verdict.decided_by == "abuse"
    if why:
        assert why in verdict.reasons[-1]
        assert verdict.priority == "high"


def test_it_skips_the_band_for_rules_that_opt_out() -> None:
    """`uncertainty: false` keeps a removal automatic even for ironic, unsure comments."""
    book = book_from(REMOVE_ABOVE_08)
    verdict = decide(book, "bitcoin", scores(irony=0.9, confidence=0.1))
    assert verdict.action == "remove"


def test_it_does_not_count_float_noise_as_within_the_band() -> None:
    """0.95 against "> 0.9" is 0.05 away: not within a band of 0.05."""
    book = book_from(
        'uncertainty: {band: 0.05}\nrules: [{id: a, description: d, when: {toxicity: "> 0.9"}, action: remove}]'
    )
    assert decide(book, score=scores(toxicity=0.95)).action == "remove"


SHADOWED = """
rules:
  - {id: trial, description: d, shadow: true, when: {words: [hmm]}, action: remove, tags: [s]}
  - {id: live, description: d, when: {words: [hmm]}, action: review}
"""


def test_it_reports_shadow_rules_without_acting_on_them() -> None:
    """A matching shadow rule is reported with the decision it would have made, nothing else."""
    verdict = decide(book_from(SHADOWED), "hmm")
    assert verdict.action == "review"
    assert verdict.rule_ids == ("live",)
    assert verdict.tags == ()
    assert verdict.shadow == (ShadowMatch("trial", "remove", "remove"),)


def test_it_stores_the_rules_version_on_every_verdict() -> None:
    """The version is a content hash: same files, same version; any edit, a new one."""
    one = book_from(SHADOWED)
    assert decide(one, "hmm").rules_version == one.version == book_from(SHADOWED).version
    assert book_from(SHADOWED + "\n# edited\n").version != one.version


def test_it_lists_the_tags_live_rules_can_add() -> None:
    """A rule book's tags: every live rule's tags across platforms, once each; not shadow ones."""
    book = book_from(
        """
        rules:
          - {id: a, description: d, when: {words: [x]}, action: remove, tags: [spam, abuse]}
          - {id: b, description: d, when: {words: [y]}, tags: [spam]}
          - {id: c, description: d, when: {words: [z]}, action: remove, tags: [new], shadow: true}
        """,
        x="rules: [{id: d, description: d, when: {words: [w]}, tags: [banter]}]",
    )
    assert book.tags == ("spam", "abuse", "banter")
