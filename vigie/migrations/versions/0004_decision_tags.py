"""decision tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 07:03:35.039784

Stores the matching rules' tags and the rules' review queue priority on each decision.
Existing decisions get `[]` (the server default, so the NOT NULL column can be added to a
filled table on SQLite and PostgreSQL alike) and no priority.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('review_priority', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('review_priority')
        batch_op.drop_column('tags')
