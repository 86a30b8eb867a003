"""Moderator accounts (argon2 password hashes) and per-client API tokens (SHA-256 stored)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.review.models import ApiToken, Role, User

SCOPES = ("queue:read", "queue:write", "audit:read")
TOKEN_PREFIX = "vq_"  # noqa: S105 - a prefix to recognise leaked tokens, not a secret
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("vigie-no-such-user")


class AccountError(ValueError):
    """A user or token cannot be created as asked."""


def create_user(session: Session, username: str, password: str, role: Role, now: datetime) -> User:
    """Add an account; usernames are unique and passwords at least 12 characters."""
    username = username.strip()
    if not 1 <= len(username) <= 64 or not username.isprintable():
        raise AccountError("username must be 1 to 64 printable characters")
    if len(password) < 12:
        raise AccountError("password must be at least 12 characters")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session, user: User, name: str, scopes: list[str], now: datetime
) -> NewToken:
    """Issue a token for a client acting as `user`; return the secret once."""
    if not user.active:  # its tokens never authenticate (token_user): say so now, not at use
        raise AccountError(f"user {user.username!r} is deactivated: its tokens would not work")
    name = name.strip()
    if not 1 <= len(name) <= 64 or not name.isprintable():
        # 64: the column's size (PostgreSQL refuses longer); printable: `users list` shows it.
        raise AccountError("token name must be 1 to 64 printable characters")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise AccountError(f"scopes must be among {', '.join(SCOPES)}; got {scopes}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        user_id=user.id,
        scopes=sorted(set(scopes)),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return NewToken(token, secret)


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough, unlike passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_user(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The user and token behind a bearer secret, if the token and user are live."""
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).first()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user, token
