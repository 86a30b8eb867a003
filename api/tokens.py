"""API token authentication for the review queue: `Authorization: Bearer vq_...`, with scopes."""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from api.errors import ApiError
from moderation.review.accounts import token_user
from moderation.review.models import Role, User


def bearer_user(session: Session, scope: str, admin: bool = False) -> User:
    """The user the request's token acts as; 401 for a bad token, 403 for scope or role."""
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <API token>")
    found = token_user(session, secret.strip())
    if found is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API token")
    user, token = found
    if scope not in token.scopes:
        raise ApiError(403, "insufficient_scope", f"this token lacks the {scope!r} scope")
    if admin and user.role is not Role.ADMIN:
        raise ApiError(403, "forbidden_role", "only admins may do this")
    return user
