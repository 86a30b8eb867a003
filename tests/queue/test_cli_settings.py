"""Settings for the review queue, and `vigie users` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from moderation.review import accounts
from moderation.review.models import ApiToken, Role, User
from tests.conftest import make_settings
from vigie import migrate
from vigie.cli import main
from vigie.runtime import Runtime
from vigie.settings import SettingsError

STRONG = {
    "VIGIE_ENV": "production",
    "VIGIE_SECRET_KEY": "k" * 32,
    "VIGIE_SOURCE_ACME_SECRET": "a" * 16,
    "VIGIE_SOURCE_OTHER_SECRET": "o" * 16,
}


def test_it_requires_a_session_key_in_production(tmp_path: Path) -> None:
    """Production refuses the development session key."""
    with pytest.raises(SettingsError, match="VIGIE_SECRET_KEY: production needs its own"):
        make_settings(tmp_path, **{**STRONG, "VIGIE_SECRET_KEY": ""})
    settings = make_settings(tmp_path, **STRONG)
    assert settings.secret_key == "k" * 32


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VIGIE_SECRET_KEY", "x"),
        ("VIGIE_SECRET_KEY", "k" * 31),
        ("VIGIE_SOURCE_ACME_SECRET", "s3cret"),
        ("VIGIE_SOURCE_OTHER_SECRET", "o" * 15),
    ],
)
def test_it_refuses_guessable_secrets_in_production(tmp_path: Path, name: str, value: str) -> None:
    """A one-character session key or source secret was accepted in production."""
    with pytest.raises(SettingsError, match=f"{name}: production needs at least"):
        make_settings(tmp_path, **{**STRONG, name: value})
    assert make_settings(tmp_path, **{**STRONG, "VIGIE_ENV": "development", name: value})


def test_production_slack_alerts_need_the_public_url(tmp_path: Path) -> None:
    """Alerts' review links were http://127.0.0.1:8000/queue?... in production by default."""
    slack = {**STRONG, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s" * 32}
    with pytest.raises(SettingsError, match="VIGIE_PUBLIC_URL: production Slack alerts link"):
        make_settings(tmp_path, **slack)
    public = make_settings(tmp_path, **slack, VIGIE_PUBLIC_URL="https://vigie.example.com/")
    assert public.public_url == "https://vigie.example.com"
    assert make_settings(tmp_path, **STRONG).slack_bot_token is None  # console alerts: no link


def test_production_slack_alerts_need_the_signing_secret_for_their_buttons(
    tmp_path: Path,
) -> None:
    """Without it each Acknowledge or Resolve click was a 404, seen only in Slack."""
    slack = {**STRONG, "SLACK_BOT_TOKEN": "xoxb-1", "VIGIE_PUBLIC_URL": "https://vigie.example"}
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET: needed with SLACK_BOT_TOKEN"):
        make_settings(tmp_path, **slack)
    assert make_settings(tmp_path, **slack, SLACK_SIGNING_SECRET="s" * 32).slack_signing_secret


def test_it_reads_the_claim_lease_and_refuses_a_bad_one(tmp_path: Path) -> None:
    """VIGIE_CLAIM_LEASE is a positive number of seconds."""
    assert make_settings(tmp_path, VIGIE_CLAIM_LEASE="90").claim_lease_s == 90
    with pytest.raises(SettingsError, match="VIGIE_CLAIM_LEASE"):
        make_settings(tmp_path, VIGIE_CLAIM_LEASE="soon")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {"VIGIE_DATA_DIR": str(tmp_path), "VIGIE_ENV": "test"}
    migrate.upgrade(make_settings(tmp_path).database_url)
    return env


def test_it_creates_the_first_admin_from_the_command_line(tmp_path: Path) -> None:
    """`vigie users create-admin NAME` prompts for the password and stores an admin."""
    env = _env(tmp_path)
    password = "a long admin password"
    result = CliRunner().invoke(
        main, ["users", "create-admin", "root"], input=f"{password}\n{password}\n", env=env
    )
    assert result.exit_code == 0, result.output
    rt = Runtime(make_settings(tmp_path))
    with rt.sessions() as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.role) == ("root", Role.ADMIN)
        assert accounts.authenticate(session, "root", password) is not None
    rt.close()


def test_it_prints_a_token_once_and_stores_its_hash(tmp_path: Path) -> None:
    """`vigie users token` prints a secret whose hash only is in the database."""
    env = _env(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["users", "create", "mia", "--password", "x" * 12], env=env)
    result = runner.invoke(
        main, ["users", "token", "mia", "--name", "crm", "--scope", "queue:read"], env=env
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    rt = Runtime(make_settings(tmp_path))
    with rt.sessions() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.token_hash == accounts.hash_token(secret)
        assert token.scopes == ["queue:read"]
    rt.close()


def test_it_refuses_a_short_password_on_the_command_line(tmp_path: Path) -> None:
    """The command fails with the reason, and creates nothing."""
    env = _env(tmp_path)
    result = CliRunner().invoke(
        main, ["users", "create-admin", "root", "--password", "short"], env=env
    )
    assert result.exit_code != 0
    assert "12 characters" in result.output


def test_it_revokes_tokens_and_deactivates_accounts(tmp_path: Path) -> None:
    """After revoke-token and deactivate, neither the token nor the password works."""
    env = _env(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["users", "create", "mia", "--password", "x" * 12], env=env)
    secret = runner.invoke(main, ["users", "token", "mia", "--name", "crm"], env=env).output.strip()
    listing = runner.invoke(main, ["users", "list"], env=env).output
    assert "mia  moderator" in listing and "token 1  crm  queue:read,queue:write" in listing
    assert secret not in listing
    assert runner.invoke(main, ["users", "revoke-token", "1"], env=env).exit_code == 0
    assert runner.invoke(main, ["users", "deactivate", "mia"], env=env).exit_code == 0
    rt = Runtime(make_settings(tmp_path))
    with rt.sessions() as session:
        assert accounts.token_user(session, secret) is None
        assert accounts.authenticate(session, "mia", "x" * 12) is None
    rt.close()
    assert "revoked" in runner.invoke(main, ["users", "list"], env=env).output


def test_it_refuses_a_token_id_no_row_can_have(tmp_path: Path) -> None:
    """`revoke-token` with an id past 64 bits is a usage error, not an OverflowError."""
    result = CliRunner().invoke(main, ["users", "revoke-token", str(2**70)], env=_env(tmp_path))
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert "Invalid value for 'TOKEN_ID'" in result.output


@pytest.mark.parametrize("name", ["", "  ", "x" * 65, "crm\x1b[2J"])
def test_it_refuses_a_token_name_that_is_empty_too_long_or_unprintable(
    tmp_path: Path, name: str
) -> None:
    """Token names are 1 to 64 printable characters (the column's size; no terminal escapes)."""
    env = _env(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["users", "create", "mia", "--password", "x" * 12], env=env)
    result = runner.invoke(main, ["users", "token", "mia", "--name", name], env=env)
    assert result.exit_code == 1
    assert "token name must be 1 to 64 printable characters" in result.output
    rt = Runtime(make_settings(tmp_path))
    with rt.sessions() as session:
        assert session.scalars(select(ApiToken)).first() is None
    rt.close()


def test_it_refuses_a_username_with_control_characters(tmp_path: Path) -> None:
    """A username is printable: an escape sequence would rewrite the terminal or the audit log."""
    result = CliRunner().invoke(
        main, ["users", "create", "mia\x1b[2J", "--password", "x" * 12], env=_env(tmp_path)
    )
    assert result.exit_code == 1
    assert "username must be 1 to 64 printable characters" in result.output
