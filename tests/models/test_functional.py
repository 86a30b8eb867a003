"""HateCheck-style checks (moderation/scorers/functional.py); the full table is in docs/MODELS.md.

Only the cases the default stack passes today are asserted, listed here by index, so that a
regression fails; the failures are reported in the model card, not hidden.
"""

import pytest

from moderation.scorers.default import DefaultScorer
from moderation.scorers.functional import CASES, passes

FAILING = (32, 51)  # cases the default stack misses (docs/MODELS.md)
PASSING = tuple(i for i in range(len(CASES)) if i not in FAILING)


@pytest.mark.parametrize("index", PASSING, ids=[CASES[i].text[:40] for i in PASSING])
def test_it_passes_the_functional_check(scorer: DefaultScorer, index: int) -> None:
    """The default stack meets this case's expectation."""
    case = CASES[index]
    [scores] = scorer.score_batch([case.text])
    assert passes(case, scores), (case, scores)
