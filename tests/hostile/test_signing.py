"""Property tests for signature checks: forged, replayed and misplaced signatures are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.signing import (
    SignatureError,
    meta_signature,
    verify_meta_signature,
    verify_vigie_signature,
    vigie_signature,
)
from tests.hostile.conftest import EXAMPLES, count

NOW = 1_764_000_000
SECRET = "s3cret"
CLOCK = NOW + 0.25  # time.time() is a float, as in the app


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(header=st.text(max_size=300), body=st.binary(max_size=100))
def test_it_refuses_any_made_up_header(header: str, body: bytes) -> None:
    """A header not made with the secret raises SignatureError, never anything else."""
    count("hypothesis verify_vigie_signature(made-up header)")
    with pytest.raises(SignatureError):
        verify_vigie_signature(SECRET, body, header, CLOCK)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    timestamp=st.integers(min_value=10**20, max_value=10**4000) | st.integers(max_value=-(10**20))
)
def test_it_refuses_timestamps_beyond_any_clock(timestamp: int) -> None:
    """A 20- to 4,000-digit timestamp is stale or malformed, not a float overflow."""
    count("hypothesis verify_vigie_signature(huge timestamp)")
    with pytest.raises(SignatureError):
        verify_vigie_signature(SECRET, b"{}", f"t={timestamp},v1=00", CLOCK)


@settings(max_examples=EXAMPLES, deadline=None)
@given(skew=st.integers(min_value=301, max_value=10**9), sign=st.sampled_from([-1, 1]))
def test_it_refuses_stale_and_future_signatures(skew: int, sign: int) -> None:
    """A correct signature outside the 5-minute window (a late replay) is refused."""
    count("hypothesis verify_vigie_signature(stale or future)")
    header = vigie_signature(SECRET, b"{}", NOW + sign * skew)
    with pytest.raises(SignatureError, match="timestamp"):
        verify_vigie_signature(SECRET, b"{}", header, CLOCK)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(signed=st.binary(max_size=200), sent=st.binary(max_size=200), skew=st.integers(-299, 299))
def test_it_accepts_a_signature_only_over_its_own_body(
    signed: bytes, sent: bytes, skew: int
) -> None:
    """Within the window a signature verifies exactly the body it was made over."""
    count("hypothesis verify_vigie_signature(signature over another body)")
    header = vigie_signature(SECRET, signed, NOW + skew)
    if signed == sent:
        verify_vigie_signature(SECRET, sent, header, CLOCK)
    else:
        with pytest.raises(SignatureError, match="does not match"):
            verify_vigie_signature(SECRET, sent, header, CLOCK)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(signed=st.binary(max_size=200), sent=st.binary(max_size=200), header=st.text(max_size=80))
def test_it_accepts_a_meta_signature_only_over_its_own_body(
    signed: bytes, sent: bytes, header: str
) -> None:
    """Meta's X-Hub-Signature-256 verifies only its own body; made-up headers are refused."""
    count("hypothesis verify_meta_signature")
    if signed == sent:
        verify_meta_signature(SECRET, sent, meta_signature(SECRET, signed))
    else:
        with pytest.raises(SignatureError):
            verify_meta_signature(SECRET, sent, meta_signature(SECRET, signed))
    with pytest.raises(SignatureError):
        verify_meta_signature(SECRET, sent, header)
