"""Per-platform moderation rules: pure functions over scores and facts (no I/O but loading)."""

from rules.engine import evaluate, load_rulebook, rulebook_from_sources
from rules.model import RuleBook, RulesError, ShadowMatch, Verdict

__all__ = [
    "RuleBook",
    "RulesError",
    "ShadowMatch",
    "Verdict",
    "evaluate",
    "load_rulebook",
    "rulebook_from_sources",
]
