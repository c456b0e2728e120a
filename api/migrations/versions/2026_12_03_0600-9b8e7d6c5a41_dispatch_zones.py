"""dispatch zones: the zone planning each order and each courier's shift

Revision ID: 9b8e7d6c5a41
Revises: c4f1a2b3d6e7
Create Date: 2026-12-03 06:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b8e7d6c5a41"
down_revision: str | None = "c4f1a2b3d6e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("zone", sa.String(length=60), nullable=True))
        batch.create_index("ix_orders_zone", ["zone"])
    with op.batch_alter_table("courier_shifts") as batch:
        batch.add_column(sa.Column("zone", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("home_zone", sa.String(length=60), nullable=True))
        batch.create_index("ix_courier_shifts_zone", ["zone"])


def downgrade() -> None:
    with op.batch_alter_table("courier_shifts") as batch:
        batch.drop_index("ix_courier_shifts_zone")
        batch.drop_column("home_zone")
        batch.drop_column("zone")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_zone")
        batch.drop_column("zone")
