"""Reading a comment back with its scores, decision and callback status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import runtime, signed_source
from api.errors import ApiError
from moderation.ingest import find_comment
from moderation.models import Comment

bp = Blueprint("comments", __name__)


@bp.get("/v1/comments/<platform>/<path:external_id>")
def get_comment(platform: str, external_id: str) -> ResponseReturnValue:
    """The comment, its decision (null while pending) and its callbacks. Signed over the path."""
    source = signed_source(request.path.encode())
    with runtime().sessions() as session:
        comment = session.scalars(find_comment(platform, external_id)).one_or_none()
        if comment is None or comment.source != source:
            raise ApiError(404, "not_found", f"no comment {platform}/{external_id} from {source}")
        return jsonify(comment_json(comment))


def comment_json(comment: Comment) -> dict[str, Any]:
    decision = comment.decision
    return {
        "comment": {
            "platform": comment.platform,
            "external_id": comment.external_id,
            "thread_id": comment.thread_id,
            "parent_id": comment.parent_external_id,
            "author": {
                "id": comment.author_id,
                "handle": comment.author_handle,
                "account_age_days": comment.author_account_age_days,
                "followers": comment.author_followers,
            },
            "text": comment.text,
            "language": comment.language,
            "created_at": comment.created_at.isoformat(),
            "received_at": comment.received_at.isoformat(),
            "status": str(comment.status),
        },
        "decision": None
        if decision is None
        else {
            "action": str(decision.action),
            "reasons": decision.reasons,
            "rule_ids": decision.rule_ids,
            "tags": decision.tags,
            "review_priority": decision.review_priority,
            "scores": decision.scores,
            "model_version": decision.model_version,
            "rules_version": decision.rules_version,
            "decided_at": decision.decided_at.isoformat(),
            "callbacks": [
                {
                    "id": d.id,
                    "status": str(d.status),
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
                }
                for d in decision.deliveries
            ],
        },
    }
