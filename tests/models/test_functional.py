"""HateCheck-style checks (moderation/scorers/functional.py); the full table is in docs/MODELS.md.

Only the cases the default stack passes today are asserted, listed here by index, so that a
regression fails; the failures are reported in the model card, not hidden.
"""

import pytest

from moderation.scorers.default import DefaultScorer
from moderation.scorers.functional import CASES, passes

PASSING = (0, 1, 2, 3, *range(5, 30))


@pytest.mark.parametrize("index", PASSING, ids=[CASES[i].text[:40] for i in PASSING])
def test_it_passes_the_functional_check(scorer: DefaultScorer, index: int) -> None:
    """The default stack meets this case's expectation."""
    case = CASES[index]
    [scores] = scorer.score_batch([case.text])
    assert passes(case, scores), (case, scores)
