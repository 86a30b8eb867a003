"""The review queue's JSON API: list, claim, decide and read the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import Incident
from alerts.view import LEAD
from api.auth import runtime
from api.errors import ApiError
from api.publish import publish
from api.tokens import bearer_user
from moderation.models import PLATFORMS
from moderation.review import queue
from moderation.review.decide import CORRECTIONS, Choice, ReviewConflict, decide, explain
from moderation.review.models import AuditEntry, ReviewItem, Verdict
from moderation.review.present import audit_json, item_detail, item_summary

bp = Blueprint("review", __name__)
CONFLICT_STATUS = {"not_found": 404, "bad_correction": 422, "bad_reason": 422}


def _now() -> datetime:
    return datetime.now(UTC)


def filters_from(args: Any, session: Session) -> queue.Filters:
    """The queue's filters from query parameters.

    `incident=ID` narrows to that alert incident's platform and window: items queued from
    `alerts.view.LEAD` before it opened until it was resolved (to now while it fires), and to
    its topic for an incident on a watched topic. This is where an alert's "review" link points.
    """
    platform, since, until, topic = args.get("platform") or None, None, None, None
    if platform is not None and platform not in PLATFORMS:
        raise ApiError(
            400,
            "bad_request",
            _l(
                "unknown platform %(platform)s: the platform filter is one of %(platforms)s",
                platform=repr(platform[:40]),
                platforms=", ".join(PLATFORMS),
            ),
        )
    raw = args.get("incident")
    if raw:
        # ASCII digits only: int() would also take " 7", "7_0" or "٧".
        if not (raw.isascii() and raw.isdigit()):
            raise ApiError(
                400,
                "bad_request",
                _l(
                    "incident must be an alert incident's number, not %(value)s",
                    value=repr(raw[:40]),
                ),
            )
        incident_id = int(raw)
        incident = session.get(Incident, incident_id) if 0 < incident_id < 2**31 else None
        if incident is None:
            raise ApiError(404, "not_found", _l("there is no alert incident #%(id)s", id=raw[:20]))
        platform, since, until = incident.platform, incident.opened_at - LEAD, incident.resolved_at
        topic = incident.topic or None
    return queue.Filters(
        platform=platform,
        # As stored (lower case): "FR " typed in the filter box finds the "fr" items.
        language=(args.get("language") or "").strip().lower() or None,
        reason=args.get("reason") or None,
        tag=args.get("tag") or None,
        topic=topic,
        since=since,
        until=until,
    )


def cursors_from(args: Any) -> tuple[queue.Cursor | None, queue.Cursor | None]:
    """The queue's place from query parameters: `after=` (next pages), `before=` (previous).

    The queue pages by cursor (see `queue.page`): `page=N` would be read as an offset, which
    skips or repeats items while colleagues decide; it is refused with the way to page
    instead, as is any order but the queue's own (`sort=priority`), rather than ignored.
    """
    if "page" in args:
        raise ApiError(
            400,
            "bad_request",
            _l(
                "the queue is not paged by number (page=): follow the Next and Previous links, "
                "or the answer's page.next and page.previous cursors (after=, before=)"
            ),
        )
    sort = args.get("sort")
    if sort is not None and sort != "priority":
        raise ApiError(
            400,
            "bad_request",
            _l(
                "unknown sort %(sort)s: the queue is always in priority order (sort=priority)",
                sort=repr(sort[:40]),
            ),
        )
    found: dict[str, queue.Cursor] = {}
    for name in ("after", "before"):
        raw = args.get(name)
        if raw is None:
            continue
        try:
            found[name] = queue.Cursor.parse(raw)
        except ValueError:
            raise ApiError(
                400,
                "bad_request",
                _l(
                    "%(name)s must be a place in the queue as the Next and Previous links write "
                    "it (e.g. 1795500000000000.42), not %(value)s",
                    name=name,
                    value=repr(raw[:40]),
                ),
            ) from None
    if len(found) == 2:
        raise ApiError(400, "bad_request", _l("give after or before, not both"))
    return found.get("after"), found.get("before")


def page_json(found: queue.Page, total: int) -> dict[str, Any]:
    """Where a page sits in the queue: items from..to of total, and the cursors around it."""
    return {
        "from": found.position + 1 if found.items else None,
        "to": found.position + len(found.items) if found.items else None,
        "total": total,
        "next": found.next.token() if found.next else None,
        "previous": found.previous.token() if found.previous else None,
    }


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "bad_request", f"{name} must be between {lo} and {hi}")
    return value


def conflict(exc: ReviewConflict) -> ApiError:
    return ApiError(CONFLICT_STATUS.get(exc.code, 409), exc.code, exc.message)


@bp.get("/v1/review/items")
def list_items() -> ResponseReturnValue:
    """Open items in priority order, with counts and the oldest waiting time."""
    limit = _int_arg("limit", 50, 1, 200)
    offset = _int_arg("offset", 0, 0, 1_000_000)
    after, before = cursors_from(request.args)
    if offset and (after or before):
        raise ApiError(400, "bad_request", "give offset or a cursor (after, before), not both")
    with runtime().sessions() as session:
        bearer_user(session, "queue:read")
        filters = filters_from(request.args, session)
        now = _now()
        found = queue.counts(session, filters, now)
        shown = queue.page(session, filters, limit, after, before, offset)
        return jsonify(
            {
                "counts": {
                    "open": found.open,
                    "claimed": found.claimed,
                    "oldest_queued_at": found.oldest_queued_at.isoformat()
                    if found.oldest_queued_at
                    else None,
                },
                "items": [item_summary(i) for i in shown.items],
                "page": page_json(shown, found.open),
            }
        )


@bp.get("/v1/review/items/<int:item_id>")
def get_item(item_id: int) -> ResponseReturnValue:
    """One item with its context, author history and scores in words."""
    with runtime().sessions() as session:
        bearer_user(session, "queue:read")
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise ApiError(404, "not_found", f"no review item {item_id}")
        return jsonify(item_detail(session, item))


@bp.post("/v1/review/claim")
def claim_next() -> ResponseReturnValue:
    """Claim the next available item (filters as query parameters)."""
    rt = runtime()
    with rt.sessions.begin() as session:
        user = bearer_user(session, "queue:write")
        item = queue.claim_next(
            session, user.id, _now(), rt.settings.claim_lease_s, filters_from(request.args, session)
        )
        if item is None:
            raise ApiError(404, "queue_empty", "no item is waiting for review")
        return jsonify(item_detail(session, item))


@bp.post("/v1/review/items/<int:item_id>/claim")
def claim_item(item_id: int) -> ResponseReturnValue:
    """Claim (or renew the claim on) one item."""
    rt = runtime()
    with rt.sessions.begin() as session:
        user = bearer_user(session, "queue:write")
        now = _now()
        item = queue.claim(session, item_id, user.id, now, rt.settings.claim_lease_s)
        if item is None:
            raise conflict(explain(session, item_id, user, now))
        return jsonify(item_detail(session, item))


@bp.delete("/v1/review/items/<int:item_id>/claim")
def release_item(item_id: int) -> ResponseReturnValue:
    """Give an item back to the queue."""
    with runtime().sessions.begin() as session:
        user = bearer_user(session, "queue:write")
        if not queue.release(session, item_id, user.id):
            raise ApiError(409, "not_claimed", "you do not hold this item")
    return "", 204


def _choice(body: Any) -> tuple[Choice, bool]:
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "send a JSON object")
    unknown = sorted(set(body) - {"action", "reason", "corrections", "group"})
    if unknown:
        raise ApiError(422, "invalid_payload", f"unknown fields {unknown}")
    try:
        verdict = Verdict(body.get("action"))
    except ValueError:
        raise ApiError(
            422, "invalid_payload", f"action must be one of {[v.value for v in Verdict]}"
        ) from None
    reason = body.get("reason")
    corrections = body.get("corrections", [])
    group = body.get("group", False)
    if reason is not None and not isinstance(reason, str):
        raise ApiError(422, "invalid_payload", "reason must be a string")
    if not isinstance(corrections, list) or not all(isinstance(c, str) for c in corrections):
        raise ApiError(422, "invalid_payload", f"corrections must be a list among {CORRECTIONS}")
    if not isinstance(group, bool):
        raise ApiError(422, "invalid_payload", "group must be true or false")
    return Choice(verdict, reason or None, tuple(corrections), via="api"), group


@bp.post("/v1/review/items/<int:item_id>/decision")
def decide_item(item_id: int) -> ResponseReturnValue:
    """Approve, remove, escalate or skip an item you hold (group: its near-duplicates too)."""
    rt = runtime()
    with rt.sessions.begin() as session:
        user = bearer_user(session, "queue:write")  # before the body: strangers learn nothing
        choice, group = _choice(request.get_json(silent=True))
        try:
            decided = decide(session, item_id, user, choice, _now(), rt.callback_url, group)
        except ReviewConflict as exc:
            raise conflict(exc) from None
    enqueue_deliveries(decided.delivery_ids)
    return jsonify({"decided": decided.item_ids, "callbacks": len(decided.delivery_ids)})


@bp.get("/v1/review/audit")
def audit() -> ResponseReturnValue:
    """The audit log, newest first (admins' tokens with the audit:read scope)."""
    limit = _int_arg("limit", 100, 1, 1000)
    item_id = request.args.get("item_id")
    with runtime().sessions() as session:
        bearer_user(session, "audit:read", admin=True)
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if item_id:
            # isascii: "²".isdigit() is true but int("²") fails; ids are 32-bit in the database.
            if not (item_id.isascii() and item_id.isdigit()) or int(item_id) > 2**31 - 1:
                raise ApiError(400, "bad_request", "item_id must be an integer id")
            query = query.where(AuditEntry.item_id == int(item_id))
        return jsonify({"entries": [audit_json(e) for e in session.scalars(query)]})


def enqueue_deliveries(ids: list[int]) -> None:
    """Send moderator callbacks after the commit; beat's sweep sends them if this fails."""
    rt = runtime()
    for delivery_id in ids:
        publish(
            rt.celery,
            rt.broker_breaker,  # a hung broker costs one decision a timeout, not each one
            "vigie.deliver",
            [delivery_id],
            {"max_retries": 1},
            {"delivery_id": delivery_id},
        )
