"""Inbound comments: Vigie's signed JSON webhook and Meta's webhook."""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from celery import Celery
from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import limit_source, runtime, signed_source
from api.coalesce import Coalescer
from api.errors import ApiError
from api.publish import publish
from api.shedding import shed_if_overloaded
from moderation.ingest import (
    CommentIn,
    PayloadError,
    parse_meta_payload,
    parse_vigie_payload,
    store_comments,
)
from moderation.signing import SignatureError, verify_meta_signature
from vigie.breaker import CircuitBreaker

bp = Blueprint("webhooks", __name__)
ENQUEUE_CHUNK = 100
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


@bp.post("/v1/comments")
def post_comments() -> ResponseReturnValue:
    """Accept one comment or a batch (all-or-nothing); 202 once stored."""
    body = _raw_body()
    source = signed_source(body)
    shed_if_overloaded()
    comments = _parse(parse_vigie_payload, body)
    stored = _store(comments, source)
    return jsonify(
        {
            "received": len(comments),
            "stored": len(stored),
            "duplicates": len(comments) - len(stored),
        }
    ), 202


@bp.get("/v1/webhooks/meta")
def meta_subscribe() -> ResponseReturnValue:
    """Meta's subscription check: echo hub.challenge when the verify token matches."""
    settings = runtime().settings
    if not settings.meta_verify_token:
        raise ApiError(
            404, "not_configured", "Meta webhooks are not configured (META_VERIFY_TOKEN)"
        )
    if request.args.get("hub.mode") != "subscribe":
        raise ApiError(400, "bad_request", "hub.mode must be 'subscribe'")
    token = request.args.get("hub.verify_token", "").encode()
    # META_VERIFY_TOKEN, and META_VERIFY_TOKEN_PREVIOUS while rotating: every token is compared,
    # even after a match, so timing tells nothing about which one (or how much of it) matched.
    matches = [hmac.compare_digest(token, one.encode()) for one in settings.meta_verify_tokens]
    if not any(matches):
        raise ApiError(403, "forbidden", "hub.verify_token does not match")
    challenge = request.args.get("hub.challenge", "")
    return Response(challenge, status=200, mimetype="text/plain")


@bp.post("/v1/webhooks/meta")
def meta_event() -> ResponseReturnValue:
    """Facebook Page feed and Instagram comments changes, several entries per POST."""
    settings = runtime().settings
    if not settings.meta_app_secret:
        raise ApiError(404, "not_configured", "Meta webhooks are not configured (META_APP_SECRET)")
    body = _raw_body()
    try:
        verify_meta_signature(  # META_APP_SECRET, and META_APP_SECRET_PREVIOUS while rotating
            settings.meta_app_secrets, body, request.headers.get("X-Hub-Signature-256")
        )
    except SignatureError as exc:
        raise ApiError(401, "bad_signature", str(exc)) from None
    limit_source("meta")
    # Never shed Meta's posts: Meta unsubscribes an app whose webhook keeps failing (for hours,
    # so a long storm would do it). They are stored and join the backlog; the other sources
    # are refused while it is over VIGIE_MAX_BACKLOG, so it still drains.
    parsed = _parse(parse_meta_payload, body)
    stored = _store(parsed.comments, "meta")
    # Meta expects 200; anything else makes it retry and eventually disable the subscription.
    return jsonify(
        {
            "received": len(parsed.comments),
            "stored": len(stored),
            "duplicates": len(parsed.comments) - len(stored),
            "ignored_changes": parsed.ignored,
        }
    ), 200


def _raw_body() -> bytes:
    # get_data honours MAX_CONTENT_LENGTH and raises 413 past it.
    return request.get_data(cache=True)


def _parse(parser: Any, body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_utf8", f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"malformed JSON: {exc.msg} at {exc.pos}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "JSON is nested too deeply") from None
    try:
        return parser(data)
    except PayloadError as exc:
        raise ApiError(422, "invalid_payload", exc.message, errors=exc.errors) from None


def _store(comments: Sequence[CommentIn], source: str) -> list[int]:
    rt = runtime()
    if not comments:
        return []
    with rt.sessions.begin() as session:
        result = store_comments(session, comments, source, datetime.now(UTC))
    _enqueue(result.new_ids)
    return result.new_ids


def _enqueue(ids: list[int]) -> None:
    """Enqueue scoring after the commit, coalesced with other requests' (api/coalesce.py)."""
    if not ids:
        return
    coalescer = current_app.extensions.get("vigie_coalescer")
    if coalescer is None:
        rt = runtime()
        coalescer = current_app.extensions.setdefault(
            "vigie_coalescer",
            Coalescer(
                partial(_send, rt.celery, rt.broker_breaker),
                ENQUEUE_CHUNK,
                rt.settings.enqueue_wait_s,
                give_up_s=rt.settings.rescue_after_s,  # then the sweep re-enqueues them anyway
            ),
        )
    coalescer.add(ids)


def _send(celery: Celery, breaker: CircuitBreaker | None, chunk: list[int]) -> bool:
    """One scoring task; False if the broker is down (or skipped): the coalescer holds the ids
    and tries again, and beat's sweep finds them if this process cannot."""
    return publish(
        celery, breaker, "vigie.score_comments", [chunk], _RETRY_POLICY, {"comments": len(chunk)}
    )
