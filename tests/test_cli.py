"""The core `vigie` commands given bad input: a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner, Result

from vigie.cli import main


def vigie(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def refused(result: Result, exit_code: int = 1) -> str:
    """The output of a command that stopped with a message (SystemExit), not an exception."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_it_says_to_migrate_a_database_without_tables(tmp_path: Path) -> None:
    """A command run before `vigie db upgrade` says so instead of printing SQL and a traceback."""
    result = vigie("users", "list", env={"VIGIE_DATA_DIR": str(tmp_path)})
    output = refused(result)
    assert "no such table: users" in output
    assert "vigie db upgrade" in output


def test_it_names_a_database_it_cannot_reach_without_its_password(tmp_path: Path) -> None:
    """A database that refuses connections is one line naming it, its password masked."""
    env = {"VIGIE_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u:hunter2@127.0.0.1:1/v"}
    output = refused(vigie("deliveries", "retry", env=env))
    assert "Error: database postgresql+psycopg://u:***@127.0.0.1:1/v: " in output
    assert "Connection refused" in output
    assert "hunter2" not in output


def test_it_names_a_revision_alembic_does_not_know(tmp_path: Path) -> None:
    """`db upgrade --revision` with an unknown revision is a message, not an Alembic traceback."""
    result = vigie("db", "upgrade", "--revision", "bogus", env={"VIGIE_DATA_DIR": str(tmp_path)})
    assert "Can't locate revision identified by 'bogus'" in refused(result)


def test_it_refuses_a_negative_demo_timeout(tmp_path: Path) -> None:
    """`demo --timeout -5` is a usage error before anything is posted."""
    result = vigie("demo", "--timeout", "-5", env={"VIGIE_DATA_DIR": str(tmp_path)})
    assert "Invalid value for '--timeout'" in refused(result, exit_code=2)


def test_it_refuses_to_run_on_a_port_in_use(tmp_path: Path) -> None:
    """`vigie run` on a busy port says so and starts nothing, instead of a 'listening' banner."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"VIGIE_DATA_DIR": str(tmp_path), "PORT": str(port)}
        output = refused(vigie("run", env=env))
    assert f"cannot listen on 127.0.0.1:{port}" in output
    assert "listening on" not in output


def test_it_refuses_fewer_than_one_worker(tmp_path: Path) -> None:
    """`run --workers 0` is a usage error (Celery reads 0 as one per CPU, -1 as a crash)."""
    result = vigie("run", "--workers", "0", env={"VIGIE_DATA_DIR": str(tmp_path)})
    assert "Invalid value for '--workers'" in refused(result, exit_code=2)


def test_it_masks_a_password_without_inventing_one(tmp_path: Path) -> None:
    """`postgres@host` (trust authentication) was printed as `postgres:***@host`."""
    from vigie.cli import _safe_url

    assert _safe_url("postgresql+psycopg://u:hunter2@h/db") == "postgresql+psycopg://u:***@h/db"
    assert _safe_url("postgresql+psycopg://postgres@h/db") == "postgresql+psycopg://postgres@h/db"
    assert _safe_url("redis://:s3cret@h:6379/1") == "redis://:***@h:6379/1"
