"""Helpers for the rules tests: rule books from YAML text, scores and facts with defaults.

Imported as `rules_helpers` (pytest puts this folder on sys.path; the name avoids clashes).
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

from moderation.facts import CommentFacts
from moderation.scores import Scores
from rules import RuleBook, Verdict, evaluate, rulebook_from_sources

HERE = Path("mem")


def book_from(default: str, **platforms: str) -> RuleBook:
    """A rule book from YAML texts: `default` plus one text per platform name."""
    sources = {"default": dedent(default)} | {k: dedent(v) for k, v in platforms.items()}
    return rulebook_from_sources(sources, HERE)


def scores(**overrides: Any) -> Scores:
    """Calm, confident English scores unless told otherwise."""
    values: dict[str, Any] = {
        "toxicity": 0.02,
        "irony": 0.05,
        "negative": 0.1,
        "positive": 0.3,
        "language": "en",
        "confidence": 0.95,
        "model_version": "test",
    }
    values.update(overrides)
    return Scores(**values)


def facts(text: str = "hello", **overrides: Any) -> CommentFacts:
    values: dict[str, Any] = {"platform": "x", "text": text, "language": "en"}
    values.update(overrides)
    return CommentFacts(**values)


def decide(book: RuleBook, text: str = "hello", score: Scores | None = None, **kw: Any) -> Verdict:
    return evaluate(book, facts(text, **kw), score or scores())
