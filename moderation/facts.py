"""CommentFacts: what the rules may know about a comment besides its scores."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommentFacts:
    """Plain facts about a comment and its context, handed to the (pure) rule engine."""

    platform: str
    text: str
    language: str
    author_account_age_days: int | None = None
    author_followers: int | None = None
    author_prior_removals: int = 0
    reply_depth: int = 0
    parent_action: str | None = None
