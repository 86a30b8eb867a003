"""Every condition of the rule language, true and false, on the same one-rule book."""

from __future__ import annotations

from typing import Any

import pytest
from rules_helpers import book_from, decide, scores

# (condition YAML, comment text, scores, facts, expected match)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], bool]] = [
    ('toxicity: "> 0.85"', "x", {"toxicity": 0.9}, {}, True),
    ('toxicity: "> 0.85"', "x", {"toxicity": 0.85}, {}, False),
    ('toxicity: ">= 0.85"', "x", {"toxicity": 0.85}, {}, True),
    ('toxicity: "< 0.2"', "x", {"toxicity": 0.1}, {}, True),
    ('toxicity: "<= 0.2"', "x", {"toxicity": 0.3}, {}, False),
    ('toxicity: "== 0"', "x", {"toxicity": 0.0}, {}, True),
    ('toxicity: "!= 0"', "x", {"toxicity": 0.0}, {}, False),
    ('toxicity: [">= 0.5", "< 0.9"]', "x", {"toxicity": 0.7}, {}, True),
    ('toxicity: [">= 0.5", "< 0.9"]', "x", {"toxicity": 0.95}, {}, False),
    ('irony: "> 0.6"', "x", {"irony": 0.7}, {}, True),
    ('irony: "> 0.6"', "x", {"irony": 0.2}, {}, False),
    ('negative: ">= 0.8"', "x", {"negative": 0.8, "positive": 0.1}, {}, True),
    ('positive: ">= 0.8"', "x", {"negative": 0.1, "positive": 0.5}, {}, False),
    ('neutral: "> 0.5"', "x", {"negative": 0.1, "positive": 0.1}, {}, True),
    ('confidence: "< 0.5"', "x", {"confidence": 0.3}, {}, True),
    ('confidence: "< 0.5"', "x", {"confidence": 0.9}, {}, False),
    ("sentiment: negative", "x", {"negative": 0.7, "positive": 0.1}, {}, True),
    ("sentiment: negative", "x", {"negative": 0.1, "positive": 0.7}, {}, False),
    ("sentiment: [neutral, positive]", "x", {"negative": 0.1, "positive": 0.1}, {}, True),
    ("language: fr", "x", {}, {"language": "fr"}, True),
    ("language: fr", "x", {}, {"language": "en"}, False),
    ("language: [fr, en]", "x", {}, {"language": "fr-CA"}, True),
    ("words: [idiot]", "What an IDIOT.", {}, {}, True),
    ("words: [idiot]", "idiotic idea", {}, {}, False),
    ("words: [idiot*]", "idiotic idea", {}, {}, True),
    ("words: [connard]", "Espèce de C0NNARD", {}, {}, True),
    ("words: [imbécile]", "quel imbecile", {}, {}, True),
    ("words: [ass]", "as you wish", {}, {}, False),
    ('phrases: ["je vais te tuer"]', "Je vais te   TUER!", {}, {}, True),
    ('phrases: ["je vais te tuer"]', "je vais te tuyauter", {}, {}, False),
    ('phrases: ["m\'a traité"]', "il m’a traité de nul", {}, {}, True),
    ("regex: 'free (crypto|btc)'", "FREE Crypto now", {}, {}, True),
    ("regex: 'free (crypto|btc)'", "crypto is not free", {}, {}, False),
    ("raw_regex: 'https?://'", "see https://x.co", {}, {}, True),
    ("raw_regex: '[A-Z]{5,}'", "SHOUTING", {}, {}, True),
    ("raw_regex: '[A-Z]{5,}'", "quiet", {}, {}, False),
    ('author_age_days: "< 7"', "x", {}, {"author_account_age_days": 2}, True),
    ('author_age_days: "< 7"', "x", {}, {"author_account_age_days": 30}, False),
    ('author_age_days: "< 7"', "x", {}, {"author_account_age_days": None}, False),
    ('author_followers: ">= 1000"', "x", {}, {"author_followers": 5000}, True),
    ('author_followers: ">= 1000"', "x", {}, {"author_followers": None}, False),
    ('author_prior_removals: ">= 3"', "x", {}, {"author_prior_removals": 3}, True),
    ('author_prior_removals: ">= 3"', "x", {}, {"author_prior_removals": 1}, False),
    ('reply_depth: ">= 1"', "x", {}, {"reply_depth": 2}, True),
    ('reply_depth: ">= 1"', "x", {}, {"reply_depth": 0}, False),
    ("parent_action: remove", "x", {}, {"parent_action": "remove"}, True),
    ("parent_action: remove", "x", {}, {"parent_action": "approve"}, False),
    ("parent_action: none", "x", {}, {"parent_action": None}, True),
    (
        'all: [{toxicity: "> 0.5"}, {irony: "> 0.5"}]',
        "x",
        {"toxicity": 0.6, "irony": 0.6},
        {},
        True,
    ),
    (
        'all: [{toxicity: "> 0.5"}, {irony: "> 0.5"}]',
        "x",
        {"toxicity": 0.6, "irony": 0.1},
        {},
        False,
    ),
    ('any: [{toxicity: "> 0.5"}, {words: [idiot]}]', "idiot", {}, {}, True),
    ('any: [{toxicity: "> 0.5"}, {words: [idiot]}]', "nice", {}, {}, False),
    ("not: {words: [idiot]}", "nice", {}, {}, True),
    ("not: {words: [idiot]}", "idiot", {}, {}, False),
    ('not: {author_age_days: "< 7"}', "x", {}, {"author_account_age_days": None}, True),
]


@pytest.mark.parametrize(("condition", "text", "score", "fact", "expected"), CASES)
def test_it_evaluates_each_condition(
    condition: str, text: str, score: dict[str, Any], fact: dict[str, Any], expected: bool
) -> None:
    """Each condition matches exactly the comments it describes."""
    book = book_from(
        f"""
        rules:
          - id: probe
            description: the condition under test
            when: {{{condition}}}
            action: remove
            uncertainty: false
        """
    )
    verdict = decide(book, text, scores(**score), **fact)
    assert (verdict.action == "remove") is expected
    assert (verdict.rule_ids == ("probe",)) is expected


def test_it_treats_a_when_mapping_as_all_of_its_conditions() -> None:
    """Several keys under `when` must all hold."""
    book = book_from(
        """
        rules:
          - id: both
            description: both
            when: {toxicity: "> 0.5", words: [idiot]}
            action: review
        """
    )
    assert decide(book, "idiot", scores(toxicity=0.6)).action == "review"
    assert decide(book, "idiot", scores(toxicity=0.4)).action == "approve"
    assert decide(book, "nice", scores(toxicity=0.6)).action == "approve"
