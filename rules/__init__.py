"""Per-platform moderation rules: pure functions over scores and facts (no I/O but loading)."""

from rules.engine import RuleBook, RulesError, Verdict, evaluate, load_rulebook

__all__ = ["RuleBook", "RulesError", "Verdict", "evaluate", "load_rulebook"]
