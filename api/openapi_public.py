"""OpenAPI paths and schemas for the source-facing endpoints: webhooks, comments, health, alerts.

Merged into /v1/openapi.json by api/openapi.py. Every status listed here is one the handlers
can answer; the hostile-input tests (tests/hostile/) fail on any other.
"""

from __future__ import annotations

from typing import Any

from moderation.ingest import MAX_BATCH, MAX_TEXT_CHARS
from moderation.models import PLATFORMS


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _header(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


_SIGNED = [
    _header("X-Vigie-Source", "the source's name (optional when only one is configured)"),
    _header(
        "X-Vigie-Signature",
        't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<signed bytes>")>; while a secret'
        " rotates, one v1= per secret (t=<t>,v1=<new>,v1=<old>): any one valid is enough."
        " Decision callbacks carry the same header, with a v1= per secret while the source's"
        " ..._SECRET_PREVIOUS is set",
        required=True,
    ),
]
_SIGNED_ERRORS = {
    "400": _error("missing_source, invalid_json or invalid_utf8"),
    "401": _error("bad_signature: unknown source, bad, stale or future signature"),
    "429": _error("rate_limited: too many requests from this source (see Retry-After)"),
    "503": _error(
        "unavailable: the database is down; overloaded: too many requests in progress"
        " (see Retry-After)"
    ),
}
_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1}
_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 128}

SCHEMAS: dict[str, Any] = {
    "CommentIn": {
        "type": "object",
        "required": ["platform", "external_id", "author", "text", "created_at"],
        "additionalProperties": False,
        "properties": {
            "platform": {"enum": list(PLATFORMS)},
            "external_id": _ID,
            "thread_id": _NULLABLE_ID,
            "parent_id": _NULLABLE_ID,
            "author": {
                "type": "object",
                "required": ["id"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "handle": {"type": ["string", "null"], "maxLength": 128},
                    "account_age_days": _COUNT,
                    "followers": _COUNT,
                },
            },
            "text": {"type": "string", "maxLength": MAX_TEXT_CHARS},
            "created_at": {"type": "string", "format": "date-time"},
            "language": {"type": ["string", "null"], "minLength": 2, "maxLength": 16},
        },
    },
    "CommentBatch": {
        "type": "object",
        "required": ["comments"],
        "additionalProperties": False,
        "properties": {
            "comments": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {"$ref": "#/components/schemas/CommentIn"},
            }
        },
    },
    "Received": {
        "type": "object",
        "required": ["received", "stored", "duplicates"],
        "properties": {
            "received": {"type": "integer"},
            "stored": {"type": "integer"},
            "duplicates": {"type": "integer"},
            "ignored_changes": {"type": "integer"},
        },
    },
    "MetaWebhook": {
        "type": "object",
        "required": ["object", "entry"],
        "properties": {
            "object": {"enum": ["page", "instagram"]},
            "entry": {"type": "array", "items": {"type": "object"}},
        },
    },
    "CommentOut": {
        "type": "object",
        "required": ["comment", "decision"],
        "properties": {"comment": {"type": "object"}, "decision": {"type": ["object", "null"]}},
    },
}


def paths() -> dict[str, Any]:
    """The source-facing paths: each method and the statuses it can answer."""
    return {
        "/v1/comments": {
            "post": {
                "summary": "Push one comment or a batch (all-or-nothing), signed over the body",
                "parameters": _SIGNED,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/CommentIn"},
                                    {"$ref": "#/components/schemas/CommentBatch"},
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "202": _json("stored", {"$ref": "#/components/schemas/Received"}),
                    **_SIGNED_ERRORS,
                    "413": _error("body larger than VIGIE_MAX_BODY_BYTES"),
                    "422": _error("invalid_payload: every bad item and field"),
                    "503": _error(
                        "unavailable: the database is down; overloaded: more than"
                        " VIGIE_MAX_BACKLOG comments wait for a decision, nothing stored"
                        " (see Retry-After)"
                    ),
                },
            }
        },
        "/v1/comments/{platform}/{external_id}": {
            "get": {
                "summary": "A comment and its decision, signed over the request path",
                "parameters": [
                    {
                        "name": "platform",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "external_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    *_SIGNED,
                ],
                "responses": {
                    "200": _json("the comment", {"$ref": "#/components/schemas/CommentOut"}),
                    **_SIGNED_ERRORS,
                    "404": _error("no such comment from this source"),
                },
            }
        },
        "/v1/webhooks/meta": {
            "get": {
                "summary": "Meta's subscription check: echoes hub.challenge",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                    for n in ("hub.mode", "hub.verify_token", "hub.challenge")
                ],
                "responses": {
                    "200": {
                        "description": "the challenge",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "400": _error("hub.mode is not subscribe"),
                    "403": _error("hub.verify_token does not match"),
                    "404": _error("not_configured"),
                },
            },
            "post": {
                "summary": "Facebook Page feed and Instagram comments changes",
                "parameters": [
                    _header("X-Hub-Signature-256", "sha256=<hex HMAC-SHA256(app secret, body)>")
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/MetaWebhook"}}
                    },
                },
                "responses": {
                    "200": _json("stored", {"$ref": "#/components/schemas/Received"}),
                    "400": _error("invalid_json or invalid_utf8"),
                    "401": _error("bad_signature"),
                    "404": _error("not_configured"),
                    "413": _error("body larger than VIGIE_MAX_BODY_BYTES"),
                    "422": _error("invalid_payload"),
                    "429": _error("rate_limited (see Retry-After)"),
                    "503": _error(
                        "unavailable: the database is down. Never overloaded: Meta's posts are"
                        " stored even past VIGIE_MAX_BACKLOG (Meta unsubscribes webhooks that"
                        " keep failing)"
                    ),
                },
            },
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "responses": {"200": _json("alive", {"type": "object"})},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: database, rules and broker, with operational detail",
                "description": "Answers within about 0.8 s: a check without an answer by then "
                "is 'no answer within 0.8 s' in checks and named in detail.slow.",
                "responses": {
                    "200": _json(
                        "ready, or degraded (the broker unreachable or slow)", {"type": "object"}
                    ),
                    "503": _json("a dependency is unreachable or slow", {"type": "object"}),
                },
            }
        },
        "/v1/alerts/incidents": {
            "get": {
                "summary": "Recent incidents and undelivered alert messages, signed over the path",
                "parameters": _SIGNED,
                "responses": {
                    "200": _json("incidents", {"type": "object"}),
                    **_SIGNED_ERRORS,
                },
            }
        },
        "/v1/alerts/silences": {
            "post": {
                "summary": "Silence a platform (and topic) until ends_at, signed over the body",
                "parameters": _SIGNED,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["ends_at"],
                                "additionalProperties": False,
                                "properties": {
                                    "ends_at": {"type": "string", "format": "date-time"},
                                    "platform": {"enum": [*PLATFORMS, None]},
                                    "topic": {
                                        "type": ["string", "null"],
                                        "description": "a topic of VIGIE_ALERT_TOPICS",
                                    },
                                    "reason": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json("the silence", {"type": "object"}),
                    **_SIGNED_ERRORS,
                    "413": _error("body larger than VIGIE_MAX_BODY_BYTES"),
                },
            }
        },
        "/slack/interactions": {
            "post": {
                "summary": "Slack button clicks (Slack's v0 signature)",
                "parameters": [
                    _header("X-Slack-Request-Timestamp", "unix seconds"),
                    _header("X-Slack-Signature", "v0=<hex>"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"payload": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "recorded"},
                    "400": _error("bad_interaction"),
                    "401": _error("bad_signature"),
                    "404": _error("Slack interactions are not configured"),
                    "413": _error("body larger than VIGIE_MAX_BODY_BYTES"),
                    "503": _error("the database is unavailable (see Retry-After)"),
                },
            }
        },
    }
