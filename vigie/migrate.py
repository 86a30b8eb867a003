"""Run Alembic migrations from the installed package (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "vigie:migrations")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(database_url))


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revisions() -> frozenset[str]:
    """The revisions this code's migrations end at."""
    return frozenset(_script().get_heads())


def behind(connection: Connection) -> str | None:
    """Why the database is behind this code's schema (one line), or None.

    A database ahead of it (a newer release migrated it while this process still runs, as in
    a rolling deploy) is not reported: migrations keep the previous release working.
    """
    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = head_revisions()
    if current == heads or any(not _known(rev) for rev in current):
        return None
    at = ", ".join(sorted(current)) or "no revision"
    return f"not migrated (at {at}, this code needs {', '.join(sorted(heads))}): run `vigie db upgrade`"


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for a revision it does not have
        return False
