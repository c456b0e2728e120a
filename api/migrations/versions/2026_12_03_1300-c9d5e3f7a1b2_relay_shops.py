"""relay shops: their accounts, and orders received at the shop then collected

Revision ID: c9d5e3f7a1b2
Revises: b8c4d2e6f0a1
Create Date: 2026-12-03 13:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9d5e3f7a1b2"
down_revision: str | None = "b8c4d2e6f0a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relay_point_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_users_relay_point_id", ["relay_point_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_users_relay_point_id_relay_points", "relay_points", ["relay_point_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "ck_users_relay_has_relay_point", "(role = 'relay') = (relay_point_id IS NOT NULL)"
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("collected_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("ck_users_relay_has_relay_point", type_="check")
        batch_op.drop_constraint("fk_users_relay_point_id_relay_points", type_="foreignkey")
        batch_op.drop_index("ix_users_relay_point_id")
        batch_op.drop_column("relay_point_id")
