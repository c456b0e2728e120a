"""how the customer pays: card, cash or meal vouchers (and how much in vouchers)

Revision ID: f9a5b1c3d7e8
Revises: e8f4a0b2c6d7
Create Date: 2026-12-05 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f9a5b1c3d7e8"
down_revision: str | None = "e8f4a0b2c6d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payment_method", sa.String(length=20), server_default="card", nullable=False)
        )
        batch_op.add_column(
            sa.Column("voucher_cents", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("voucher_cents")
        batch_op.drop_column("payment_method")
