"""Alert endpoints: Slack's interactions (buttons), incidents and silences for the UI and API."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from alerts import interactions, outbox, service
from alerts.models import Incident
from api.auth import runtime, signed_source
from api.errors import ApiError
from moderation.models import PLATFORMS

log = logging.getLogger(__name__)
bp = Blueprint("alerts", __name__)


@bp.post("/slack/interactions")
def slack_interactions() -> ResponseReturnValue:
    """A button click: verify Slack's signature and timestamp, record it, answer at once."""
    rt = runtime()
    secret = rt.settings.slack_signing_secrets  # and SLACK_SIGNING_SECRET_PREVIOUS, rotating
    if not secret:
        raise ApiError(
            404, "not_found", "Slack interactions are not configured (SLACK_SIGNING_SECRET)"
        )
    body = request.get_data(cache=True)
    ok = interactions.verify(
        secret,
        body,
        request.headers.get("X-Slack-Request-Timestamp"),
        request.headers.get("X-Slack-Signature"),
        time.time(),
    )
    if not ok:
        # The answer only shows in Slack (an error on the button): say it where operators look.
        log.warning(
            "Slack button click refused: bad or stale signature (check SLACK_SIGNING_SECRET"
            " against the Slack app's Signing Secret, and this host's clock)"
        )
        raise ApiError(401, "bad_signature", "bad or stale Slack signature")
    try:
        click = interactions.parse_click(body)
        with rt.sessions.begin() as session:
            interactions.apply_click(
                session, click, datetime.now(UTC), service.context(rt.settings)
            )
    except interactions.InteractionError as exc:
        raise ApiError(400, "bad_interaction", str(exc)) from None
    return "", 200


@bp.get("/v1/alerts/incidents")
def list_incidents() -> ResponseReturnValue:
    """Recent incidents and any alert messages that could not be delivered. Signed over the path."""
    signed_source(request.path.encode())
    with runtime().sessions() as session:
        rows = session.scalars(select(Incident).order_by(Incident.opened_at.desc()).limit(100))
        return jsonify(
            {
                "incidents": [_incident_json(i) for i in rows],
                "undelivered": outbox.failures(session),
            }
        )


@bp.post("/v1/alerts/silences")
def create_silence() -> ResponseReturnValue:
    """Silence a platform (and topic) until `ends_at` (ISO 8601). Signed over the body."""
    body = request.get_data(cache=True)
    source = signed_source(body)
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict) or "ends_at" not in data:
        raise ApiError(
            400, "bad_request", "expected JSON with ends_at, and optionally platform, topic, reason"
        )
    try:
        ends_at = datetime.fromisoformat(str(data["ends_at"]))
    except ValueError:
        raise ApiError(400, "bad_request", "ends_at: expected an ISO 8601 time") from None
    if ends_at.tzinfo is None:
        raise ApiError(400, "bad_request", "ends_at: give a time zone (e.g. Z)")
    try:
        ends_at = ends_at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+03:00 has no UTC equivalent
        raise ApiError(400, "bad_request", "ends_at: out of range") from None
    platform, topic = _text(data, "platform", 16), _text(data, "topic", 64)
    reason = _text(data, "reason", 100_000) or ""
    _matches_something(data, platform, topic, runtime().settings.alert_topics)
    with runtime().sessions.begin() as session:
        try:
            silence = interactions.add_silence(
                session, platform, topic, ends_at, source, reason[:500], datetime.now(UTC),
            )  # fmt: skip
        except interactions.InteractionError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        return jsonify({"id": silence.id, "ends_at": silence.ends_at.isoformat()}), 201


SILENCE_FIELDS = ("ends_at", "platform", "topic", "reason")


def _matches_something(
    data: dict[str, Any], platform: str | None, topic: str | None, topics: Mapping[str, Any]
) -> None:
    """Refuse a silence that could never match: a misspelt field, platform or topic."""
    unknown = sorted(set(data) - set(SILENCE_FIELDS))
    if unknown:
        raise ApiError(400, "bad_request", f"unknown field(s): {', '.join(unknown)}")
    if platform is not None and platform not in PLATFORMS:
        raise ApiError(400, "bad_request", f"platform: expected one of {', '.join(PLATFORMS)}")
    if topic is not None and topic not in topics:
        configured = ", ".join(topics) or "none"
        raise ApiError(
            400,
            "bad_request",
            f"topic: no topic {topic!r} in VIGIE_ALERT_TOPICS (configured: {configured})",
        )


def _text(data: dict[str, Any], key: str, max_chars: int) -> str | None:
    """An optional string field the database can store: no NUL, no lone surrogate, bounded."""
    value = data.get(key)
    if value is None:
        return None
    problem = f"{key}: expected text of at most {max_chars} characters, without NUL"
    if not isinstance(value, str) or len(value) > max_chars or "\x00" in value:
        raise ApiError(400, "bad_request", problem)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from "\ud800" in the JSON
        raise ApiError(400, "bad_request", problem) from None
    return value


def _incident_json(i: Incident) -> dict[str, Any]:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "id": i.id, "platform": i.platform, "topic": i.topic, "kind": i.kind, "status": i.status,
        "severity": i.severity, "opened_at": iso(i.opened_at), "resolved_at": iso(i.resolved_at),
        "acknowledged_by": i.acknowledged_by, "snoozed_until": iso(i.snoozed_until),
        "figures": i.figures, "notified": i.notified_at is not None,
    }  # fmt: skip
