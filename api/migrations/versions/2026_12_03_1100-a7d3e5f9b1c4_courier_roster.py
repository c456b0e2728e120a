"""couriers' weekly roster

Revision ID: a7d3e5f9b1c4
Revises: e5b1c3d7a9f2
Create Date: 2026-12-03 11:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7d3e5f9b1c4"
down_revision: str | None = "e5b1c3d7a9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_roster_shifts_weekday_range"),
        sa.CheckConstraint("ends > starts", name="ck_roster_shifts_ends_after_starts"),
        sa.ForeignKeyConstraint(
            ["courier_id"],
            ["couriers.id"],
            name="fk_roster_shifts_courier_id_couriers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_roster_shifts"),
    )
    op.create_index("ix_roster_shifts_courier_id", "roster_shifts", ["courier_id"])


def downgrade() -> None:
    op.drop_index("ix_roster_shifts_courier_id", table_name="roster_shifts")
    op.drop_table("roster_shifts")
