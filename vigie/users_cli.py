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
