"""Fixtures for the scorer tests: one default scorer per test session (it loads once)."""

from __future__ import annotations

import pytest

from moderation.scorers.default import DefaultScorer


@pytest.fixture(scope="session")
def scorer() -> DefaultScorer:
    """The packaged default stack, explanations on."""
    return DefaultScorer()
