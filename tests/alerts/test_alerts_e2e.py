import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.alerts_e2e import measure


@pytest.mark.e2e
def test_it_alerts_slack_within_a_minute_of_a_negative_burst():
    """Through the signed webhook, the real worker and beat: the fake Slack gets the crisis."""
    elapsed, _decided, text = measure(limit_s=90)
    assert text is not None and text.startswith("CRISIS · facebook: negative comments")
    assert elapsed < 90
