"""single firing incident per key

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRING = sa.text("status = 'firing'")


def upgrade() -> None:
    # Two beats may already have opened the same incident twice: keep the newest one firing.
    op.execute(
        """
        UPDATE alert_incidents SET status = 'resolved', resolved_at = evaluated_at
        WHERE status = 'firing' AND EXISTS (
            SELECT 1 FROM alert_incidents AS newer
            WHERE newer.platform = alert_incidents.platform
              AND newer.topic = alert_incidents.topic
              AND newer.kind = alert_incidents.kind
              AND newer.status = 'firing'
              AND newer.id > alert_incidents.id
        )
        """
    )
    op.create_index(
        "uq_alert_incidents_firing",
        "alert_incidents",
        ["platform", "topic", "kind"],
        unique=True,
        postgresql_where=FIRING,
        sqlite_where=FIRING,
    )
    op.create_index(
        "ix_alert_messages_incident_status", "alert_messages", ["incident_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_alert_messages_incident_status", table_name="alert_messages")
    op.drop_index("uq_alert_incidents_firing", table_name="alert_incidents")
