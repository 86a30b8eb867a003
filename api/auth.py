"""Request authentication for sources: which source is calling, and is the request signed."""

from __future__ import annotations

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
    if source is None:
        # Same answer as a bad signature: do not reveal which source names exist.
        raise ApiError(401, "bad_signature", "unknown source or bad signature")
    try:
        verify_vigie_signature(
            source.secret,
            signed,
            request.headers.get("X-Vigie-Signature"),
            time.time(),
            rt.settings.signature_tolerance_s,
        )
    except SignatureError as exc:
        raise ApiError(401, "bad_signature", str(exc)) from None
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
