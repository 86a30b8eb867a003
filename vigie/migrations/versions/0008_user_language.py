"""users.language: the language a moderator chose for the pages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: existing moderators keep following their browser's language.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy of `users`: the copy drops the
    # table, which SQLite refuses (foreign keys are on) once tokens, claims or audit entries
    # refer to a moderator. The column has no index or constraint, so SQLite can drop it.
    op.drop_column("users", "language")
