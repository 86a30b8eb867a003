"""rule versions: the last good rule files, for processes started while a file is broken

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_versions",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("stored_at", moderation.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_versions")),
    )
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_versions_stored_at"), ["stored_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_versions_stored_at"))
    op.drop_table("rule_versions")
