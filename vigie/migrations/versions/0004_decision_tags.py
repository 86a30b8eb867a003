"""decision tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 07:03:35.039784

Stores the matching rules' tags and the rules' review queue priority on each decision.
Existing decisions get `[]` (the server default, so the NOT NULL column can be added to a
filled table on SQLite and PostgreSQL alike) and no priority.

Both directions ALTER `decisions` in place (ALTER TABLE ADD/DROP COLUMN, SQLite 3.35+) rather
than in batch mode: on SQLite a batch copy DROPs the table, which SQLite refuses (foreign keys
are on, FOREIGN KEY constraint failed) as soon as a delivery or a review item refers to a
decision, and alembic copies for an added column whose server default is an SQL expression.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('decisions', sa.Column('tags', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.add_column('decisions', sa.Column('review_priority', sa.String(length=16), nullable=True))


def downgrade() -> None:
    # Neither column has an index or a constraint, so SQLite can drop them in place.
    op.drop_column('decisions', 'review_priority')
    op.drop_column('decisions', 'tags')
