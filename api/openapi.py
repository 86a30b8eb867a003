"""The OpenAPI 3.1 description of Vigie's HTTP API, served at /v1/openapi.json.

The review queue API is described here; the source-facing endpoints in api/openapi_public.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api import openapi_public
from moderation.models import PLATFORMS
from moderation.review.decide import CORRECTIONS
from moderation.review.models import Verdict

bp = Blueprint("openapi", __name__)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_FILTERS = (
    [
        {
            "name": "platform",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": list(PLATFORMS)},
        },
        {
            "name": "language",
            "in": "query",
            "required": False,
            "description": "a language code, in any case (fr, FR)",
            "schema": {"type": "string"},
        },
    ]
    + [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("reason", "tag")
    ]
    + [
        {
            "name": "incident",
            "in": "query",
            "required": False,
            "description": "an alert incident's id: its platform (and its watched topic, if any),"
            " from 15 min before it opened until it was resolved",
            "schema": {"type": "string"},
        }
    ]
)
_ITEM_ID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "maximum": 2**31 - 1},
}
_AUTH = {"401": _error("missing, unknown or revoked token"), "403": _error("scope or role")}
_NO_ITEM = {"404": _error("no such item (or a negative id)")}
_NO_INCIDENT = {"404": _error("no such alert incident")}
_BAD_QUERY = {
    "400": _error("a query parameter is not an integer, is out of range, or an unknown platform")
}


def _op(summary: str, scope: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": f"Requires a token with the `{scope}` scope.",
        "security": [{"token": [scope]}],
        "responses": {**responses, **_AUTH},
        **extra,
    }


def spec() -> dict[str, Any]:
    """The description; paths mirror api/review.py and the routes in api/openapi_public.py."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vigie API",
            "version": "1",
            "description": "Push comments and read decisions (signed webhooks), read and silence "
            "alerts, and list, claim and decide the comments the machine sent to people. "
            "Claims are leases: decide before they expire.",
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A per-client token from `vigie users token` (vq_...).",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
                "ItemList": {
                    "type": "object",
                    "properties": {
                        "counts": {
                            "type": "object",
                            "properties": {
                                "open": {"type": "integer"},
                                "claimed": {"type": "integer"},
                                "oldest_queued_at": {"type": ["string", "null"]},
                            },
                        },
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                        "page": {
                            "type": "object",
                            "description": "items from..to of total; cursors for after= / before=",
                            "properties": {
                                "from": {"type": ["integer", "null"]},
                                "to": {"type": ["integer", "null"]},
                                "total": {"type": "integer"},
                                "next": {"type": ["string", "null"]},
                                "previous": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
                "Item": {
                    "type": "object",
                    "description": "An item; the single-item answers add author, scores, context.",
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"enum": ["open", "decided"]},
                        "platform": {"type": "string"},
                        "language": {"type": ["string", "null"]},
                        "reason": {"type": "string", "description": "the machine's first rule"},
                        "tags": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "the machine's action, the rules' tags, score labels",
                        },
                        "priority": {"type": "number", "description": "boost in minutes"},
                        "review_priority": {
                            "enum": ["low", "normal", "high", "urgent", None],
                            "description": "the queue priority the rules asked for",
                        },
                        "queued_at": {"type": "string", "format": "date-time"},
                        "claimed_by": {"type": ["string", "null"]},
                        "claim_expires_at": {"type": ["string", "null"]},
                        "text": {"type": "string"},
                        "machine": {"type": "object"},
                        "why": {"type": "string"},
                    },
                },
                "Decision": {
                    "type": "object",
                    "required": ["action"],
                    "additionalProperties": False,
                    "properties": {
                        "action": {"enum": [v.value for v in Verdict]},
                        "reason": {"type": "string", "maxLength": 500},
                        "corrections": {
                            "type": "array",
                            "items": {"enum": list(CORRECTIONS)},
                        },
                        "group": {
                            "type": "boolean",
                            "description": "also decide open near-identical comments",
                        },
                    },
                },
                "Decided": {
                    "type": "object",
                    "properties": {
                        "decided": {"type": "array", "items": {"type": "integer"}},
                        "callbacks": {"type": "integer"},
                    },
                },
                "Audit": {"type": "object", "properties": {"entries": {"type": "array"}}},
                **openapi_public.SCHEMAS,
            },
        },
        "paths": {
            **openapi_public.paths(),
            "/v1/review/items": {
                "get": _op(
                    "Open items in priority order, with counts",
                    "queue:read",
                    {"200": _ok("the queue", "ItemList"), **_BAD_QUERY, **_NO_INCIDENT},
                    parameters=[
                        *_FILTERS,
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                        {"name": "after", "in": "query", "schema": {"type": "string"}},
                        {"name": "before", "in": "query", "schema": {"type": "string"}},
                        {"name": "sort", "in": "query", "schema": {"enum": ["priority"]}},
                    ],
                )
            },
            "/v1/review/items/{item_id}": {
                "get": _op(
                    "One item with context",
                    "queue:read",
                    {"200": _ok("the item", "Item"), "404": _error("no such item")},
                    parameters=[_ITEM_ID],
                )
            },
            "/v1/review/claim": {
                "post": _op(
                    "Claim the next available item",
                    "queue:write",
                    {
                        "200": _ok("the claimed item", "Item"),
                        "404": _error("queue_empty, or no such incident"),
                        **_BAD_QUERY,
                    },
                    parameters=_FILTERS,
                )
            },
            "/v1/review/items/{item_id}/claim": {
                "post": _op(
                    "Claim or renew the claim on an item",
                    "queue:write",
                    {
                        "200": _ok("the claimed item", "Item"),
                        "409": _error("already_decided or claimed_by_other"),
                        **_NO_ITEM,
                    },
                    parameters=[_ITEM_ID],
                ),
                "delete": _op(
                    "Release a claim",
                    "queue:write",
                    {
                        "204": {"description": "released"},
                        "409": _error("not_claimed"),
                        **_NO_ITEM,
                    },
                    parameters=[_ITEM_ID],
                ),
            },
            "/v1/review/items/{item_id}/decision": {
                "post": _op(
                    "Decide an item you hold",
                    "queue:write",
                    {
                        "200": _ok("decided", "Decided"),
                        "409": _error(
                            "already_decided, claim_expired, claimed_by_other or not_claimed"
                        ),
                        "422": _error("invalid decision"),
                        "400": _error("the body is not a JSON object"),
                        **_NO_ITEM,
                    },
                    parameters=[_ITEM_ID],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Decision"}
                            }
                        },
                    },
                )
            },
            "/v1/review/audit": {
                "get": _op(
                    "The audit log, newest first (admins only)",
                    "audit:read",
                    {"200": _ok("entries", "Audit"), **_BAD_QUERY},
                    parameters=[
                        {"name": "item_id", "in": "query", "schema": {"type": "integer"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ],
                )
            },
        },
    }


@bp.get("/v1/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(spec())
