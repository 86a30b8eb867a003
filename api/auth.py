"""Request authentication for sources: which source is calling, and is the request signed."""

from __future__ import annotations

import secrets
import time

from flask import current_app, request

from api.errors import ApiError
from moderation.signing import SignatureError, verify_vigie_signature
from vigie.ratelimit import Limit
from vigie.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["vigie"]  # type: ignore[no-any-return]


def signed_source(signed: bytes) -> str:
    """Return the calling source's name after checking X-Vigie-Signature over `signed`."""
    rt = runtime()
    sources = rt.settings.sources
    name = request.headers.get("X-Vigie-Source")
    if name is None:
        if len(sources) != 1:
            raise ApiError(400, "missing_source", "X-Vigie-Source header names the source")
        name = next(iter(sources))
    source = sources.get(name)
    # An unknown name is checked against a secret no one has: the same answers as a wrong
    # secret (missing, stale or not matching), so they do not reveal which names exist.
    # A source rotating its secret has two (VIGIE_SOURCE_<NAME>_SECRET_PREVIOUS): either signs.
    secret = source.secrets if source is not None else secrets.token_hex(32)
    try:
        verify_vigie_signature(
            secret,
            signed,
            request.headers.get("X-Vigie-Signature"),
            time.time(),
            rt.settings.signature_tolerance_s,
        )
    except SignatureError as exc:
        detail = str(exc)
        if detail.endswith("does not match the body"):
            detail += " (check X-Vigie-Source and that source's secret)"
        raise ApiError(401, "bad_signature", detail) from None
    if source is None:  # a guessed 256-bit secret: not reached in practice
        raise ApiError(401, "bad_signature", "X-Vigie-Signature: signature does not match")
    limit_source(name)
    return name


def limit_source(name: str) -> None:
    """429 with Retry-After once an authenticated source exceeds its requests a minute.

    Counted after the signature check, so nobody can spend a source's allowance but the source.
    """
    rt = runtime()
    per_minute = rt.settings.rate_limit_per_source
    verdict = rt.limiter.hit(f"source:{name}", Limit(per_minute, 60), time.time())
    if not verdict.allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"source {name!r} sent more than {per_minute} requests this minute",
            retry_after=verdict.retry_after_s,
        )
