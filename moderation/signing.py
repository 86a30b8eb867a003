"""HMAC signatures: Vigie's own `X-Vigie-Signature` scheme and Meta's `X-Hub-Signature-256`.

Vigie's scheme (the same for inbound webhooks and outbound callbacks):

    X-Vigie-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Several `v1=` values may be sent while a secret is being rotated; one valid value is enough.
On the receiving side, a source (or Meta) may have several secrets at once while it rotates
(`VIGIE_SOURCE_<NAME>_SECRET_PREVIOUS`, `META_APP_SECRET_PREVIOUS`): a signature made with any
of them is valid. Every secret is compared against every value, even after a match, so timing
tells neither which secret nor which value matched.

On the sending side (callbacks) during a rotation, the header carries one `v1=` per secret, the
new one first, as Stripe does: `t=<ts>,v1=<new>,v1=<old>`. A receiver still checking the old
secret accepts it, as does one already on the new secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


class SignatureError(ValueError):
    """The signature is missing, malformed, stale or wrong; the message says which."""


def vigie_signature(secret: str | Sequence[str], body: bytes, timestamp: int) -> str:
    """The header value that signs `body` at `timestamp`: one `v1=` per secret, in order (one
    secret gives the single-signature form)."""
    return f"t={timestamp}," + ",".join(
        f"v1={_mac(one, body, timestamp)}" for one in _secrets(secret)
    )


def _mac(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_vigie_signature(
    secret: str | Sequence[str],
    body: bytes,
    header: str | None,
    now: float,
    tolerance_s: int = 300,
) -> None:
    """Raise SignatureError unless `header` signs `body` with `secret` (or one of several
    secrets) within the tolerance."""
    if not header:
        raise SignatureError("missing X-Vigie-Signature header")
    timestamp: int | None = None
    candidates: list[bytes] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("X-Vigie-Signature: t is not a unix timestamp") from None
        elif key == "v1":
            candidates.append(_ascii_safe(value))
    if timestamp is None or not candidates:
        raise SignatureError("X-Vigie-Signature: expected t=<timestamp>,v1=<hex>")
    # Integer arithmetic: a 300-digit timestamp is stale, not a float overflow.
    if abs(int(now) - timestamp) > tolerance_s:
        raise SignatureError(f"X-Vigie-Signature: timestamp is more than {tolerance_s}s from now")
    expected = [_mac(one, body, timestamp).encode() for one in _secrets(secret)]
    # Compare every candidate with every secret's signature so timing does not tell which
    # one was close.
    valid = [hmac.compare_digest(e, c) for e in expected for c in candidates]
    if not any(valid):
        raise SignatureError("X-Vigie-Signature: signature does not match the body")


def meta_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_meta_signature(app_secret: str | Sequence[str], body: bytes, header: str | None) -> None:
    """Raise SignatureError unless `header` is Meta's X-Hub-Signature-256 of `body` (with the
    app secret, or one of several while it is rotated)."""
    if not header or not header.startswith("sha256="):
        raise SignatureError("missing or malformed X-Hub-Signature-256 header")
    given = _ascii_safe(header)
    valid = [
        hmac.compare_digest(meta_signature(one, body).encode(), given)
        for one in _secrets(app_secret)
    ]
    if not any(valid):
        raise SignatureError("X-Hub-Signature-256: signature does not match the body")


def _ascii_safe(value: str) -> bytes:
    """A header value as bytes: `hmac.compare_digest` raises TypeError on a str with non-ASCII
    characters (a 500), where a signature that cannot match is simply wrong."""
    return value.encode("utf-8", "replace")


def _secrets(secret: str | Sequence[str]) -> tuple[str, ...]:
    found = (secret,) if isinstance(secret, str) else tuple(secret)
    if not found:  # no secret would make every signature fail quietly: a programming error
        raise ValueError("no secret to check the signature against")
    return found
