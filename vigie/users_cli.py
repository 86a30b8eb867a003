"""`vigie users ...`: accounts for the review queue, and API tokens for its clients."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from vigie.cli import load_settings


def _runtime():  # type: ignore[no-untyped-def]
    from vigie.runtime import Runtime

    return Runtime(load_settings())


@click.group()
def users() -> None:
    """Moderator and admin accounts, and API tokens."""


def _create(username: str, password: str, role: str) -> None:
    from moderation.review.accounts import AccountError, create_user
    from moderation.review.models import Role

    with _runtime().sessions.begin() as session:
        try:
            create_user(session, username, password, Role(role), datetime.now(UTC))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{role} {username!r} created; log in at /login")


_password = click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters (prompted when omitted).",
)


@users.command("create-admin")
@click.argument("username")
@_password
def create_admin(username: str, password: str) -> None:
    """Create an admin account (the first one, typically)."""
    _create(username, password, "admin")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["moderator", "admin"]), default="moderator")
@_password
def create(username: str, role: str, password: str) -> None:
    """Create a moderator (or admin) account."""
    _create(username, password, role)


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="Which client uses the token.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=("queue:read", "queue:write"),
    show_default=True,
    help="queue:read, queue:write, audit:read (repeat the option).",
)
def token(username: str, name: str, scopes: tuple[str, ...]) -> None:
    """Issue an API token acting as USERNAME; it is printed once and only its hash is kept."""
    from sqlalchemy import select

    from moderation.review.accounts import AccountError, create_token
    from moderation.review.models import User

    with _runtime().sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        try:
            new = create_token(session, user, name, list(scopes), datetime.now(UTC))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(new.secret)


@users.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id (printed by `vigie users list`)."""
    from moderation.review.models import ApiToken

    with _runtime().sessions.begin() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"no token {token_id}")
        token.revoked_at = token.revoked_at or datetime.now(UTC)
    click.echo(f"token {token_id} revoked")


@users.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop an account from logging in or using its tokens (its audit entries stay)."""
    from sqlalchemy import select

    from moderation.review.models import User

    with _runtime().sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        user.active = False
    click.echo(f"{username!r} deactivated")


@users.command("list")
def list_users() -> None:
    """Accounts and their tokens (names, scopes, revoked or not; never the secrets)."""
    from sqlalchemy import select

    from moderation.review.models import ApiToken, User

    with _runtime().sessions() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "" if user.active else " (deactivated)"
            click.echo(f"{user.username}  {user.role}{state}")
            tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
            for token in tokens:
                revoked = " revoked" if token.revoked_at else ""
                click.echo(f"  token {token.id}  {token.name}  {','.join(token.scopes)}{revoked}")
