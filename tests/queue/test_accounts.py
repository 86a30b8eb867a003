"""Accounts with argon2 password hashes, and API tokens stored as hashes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from moderation.review import accounts
from moderation.review.models import Role
from tests.queue.conftest import NOW, PASSWORD, add_user


def test_it_stores_an_argon2_hash_not_the_password(session: Session) -> None:
    """The password is hashed with argon2id."""
    user = add_user(session, "mia")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_it_authenticates_with_the_right_password_only(session: Session) -> None:
    """Wrong passwords, unknown and inactive users are all refused."""
    user = add_user(session, "mia")
    assert accounts.authenticate(session, "mia", PASSWORD) is user
    assert accounts.authenticate(session, "mia", PASSWORD + "x") is None
    assert accounts.authenticate(session, "nobody", PASSWORD) is None
    user.active = False
    assert accounts.authenticate(session, "mia", PASSWORD) is None


def test_it_refuses_short_passwords_and_duplicate_usernames(session: Session) -> None:
    """At least 12 characters; one account per username."""
    with pytest.raises(accounts.AccountError, match="12 characters"):
        accounts.create_user(session, "mia", "short", Role.ADMIN, NOW)
    add_user(session, "mia")
    with pytest.raises(accounts.AccountError, match="already exists"):
        add_user(session, "mia")


def test_it_keeps_only_a_hash_of_the_token(session: Session) -> None:
    """The secret is shown once; the database holds its SHA-256."""
    user = add_user(session, "mia")
    new = accounts.create_token(session, user, "crm", ["queue:read"], NOW)
    assert new.secret.startswith("vq_")
    assert new.token.token_hash == accounts.hash_token(new.secret)
    assert new.secret not in new.token.token_hash
    assert accounts.token_user(session, new.secret) == (user, new.token)
    assert accounts.token_user(session, new.secret + "x") is None


def test_it_refuses_revoked_tokens_and_unknown_scopes(session: Session) -> None:
    """A revoked token no longer authenticates; scopes come from a fixed list."""
    user = add_user(session, "mia")
    new = accounts.create_token(session, user, "crm", ["queue:read"], NOW)
    new.token.revoked_at = NOW
    assert accounts.token_user(session, new.secret) is None
    with pytest.raises(accounts.AccountError):
        accounts.create_token(session, user, "crm", ["everything"], NOW)


def test_it_refuses_a_token_for_a_deactivated_account(session: Session) -> None:
    """Such a token would never authenticate; the command says so instead of printing it."""
    user = add_user(session, "mia")
    user.active = False
    with pytest.raises(accounts.AccountError, match="'mia' is deactivated"):
        accounts.create_token(session, user, "crm", ["queue:read"], NOW)
