"""dispatch: one stop per order door and per ticket pickup

Revision ID: 5d1c7e0a9b3f
Revises: ba795907890e
Create Date: 2026-11-26 18:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1c7e0a9b3f"
down_revision: str | None = "ba795907890e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ux_stops_order_dropoff",
        "stops",
        ["order_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'dropoff'"),
        postgresql_where=sa.text("kind = 'dropoff'"),
    )
    op.create_index(
        "ux_stops_ticket_pickup",
        "stops",
        ["ticket_id"],
        unique=True,
        sqlite_where=sa.text("ticket_id IS NOT NULL"),
        postgresql_where=sa.text("ticket_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_stops_ticket_pickup", table_name="stops")
    op.drop_index("ux_stops_order_dropoff", table_name="stops")
