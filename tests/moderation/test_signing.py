"""Vigie and Meta signatures."""

import pytest

from moderation.signing import (
    SignatureError,
    meta_signature,
    verify_meta_signature,
    verify_vigie_signature,
    vigie_signature,
)

NOW = 1_764_000_000


def test_it_accepts_a_fresh_signature() -> None:
    """A signature made now with the right secret over the same body is valid."""
    header = vigie_signature("k", b'{"a":1}', NOW)
    verify_vigie_signature("k", b'{"a":1}', header, NOW + 10)


def test_it_accepts_any_of_several_signatures_during_rotation() -> None:
    """During a secret rotation one valid v1 value among several is enough."""
    good = vigie_signature("new", b"body", NOW)
    old = vigie_signature("old", b"body", NOW).split("v1=")[1]
    verify_vigie_signature("new", b"body", f"{good},v1={old}", NOW)


def test_it_signs_with_every_secret_during_rotation() -> None:
    """Stripe's form, `t=<ts>,v1=<new>,v1=<old>`: a receiver on either secret accepts it."""
    header = vigie_signature(("new", "old"), b"body", NOW)
    new, old = (vigie_signature(s, b"body", NOW).split("v1=")[1] for s in ("new", "old"))
    assert header == f"t={NOW},v1={new},v1={old}"
    for secret in ("new", "old", ("new", "old")):
        verify_vigie_signature(secret, b"body", header, NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify_vigie_signature("other", b"body", header, NOW)


def test_it_keeps_one_signature_with_one_secret() -> None:
    """Outside a rotation the header is the single-signature form, whatever the argument."""
    single = vigie_signature("k", b"body", NOW)
    assert single.count("v1=") == 1
    assert vigie_signature(("k",), b"body", NOW) == single


def test_it_refuses_to_sign_with_no_secret() -> None:
    """No secret at all is a programming error, not an unsigned callback."""
    with pytest.raises(ValueError, match="no secret"):
        vigie_signature((), b"body", NOW)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("v1=abc", "expected"),
        ("t=abc,v1=00", "unix timestamp"),
        (vigie_signature("k", b"body", NOW - 301), "from now"),
        (vigie_signature("k", b"body", NOW + 301), "from now"),
        (vigie_signature("k", b"other body", NOW), "does not match"),
        (vigie_signature("wrong", b"body", NOW), "does not match"),
    ],
)
def test_it_refuses_bad_signatures(header: str | None, message: str) -> None:
    """Missing, malformed, stale, future, wrong-body and wrong-secret signatures are refused."""
    with pytest.raises(SignatureError, match=message):
        verify_vigie_signature("k", b"body", header, NOW)


def test_it_checks_meta_signatures() -> None:
    """X-Hub-Signature-256 is sha256=<hex HMAC of the raw body with the app secret>."""
    verify_meta_signature("app", b"{}", meta_signature("app", b"{}"))
    for header in (None, "sha1=00", meta_signature("app", b"{ }"), meta_signature("x", b"{}")):
        with pytest.raises(SignatureError):
            verify_meta_signature("app", b"{}", header)


def test_it_refuses_non_ascii_signatures_as_wrong() -> None:
    """A v1 value or X-Hub-Signature-256 with non-ASCII characters (headers are latin-1) is a
    signature that does not match, not a TypeError from `hmac.compare_digest`."""
    good = vigie_signature("k", b"body", NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify_vigie_signature("k", b"body", f"t={NOW},v1=\u00e9t\u00e9", NOW)
    verify_vigie_signature("k", b"body", f"t={NOW},v1=\u00e9,{good.split(',')[1]}", NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify_meta_signature("app", b"{}", "sha256=\u00e9" + "0" * 63)
