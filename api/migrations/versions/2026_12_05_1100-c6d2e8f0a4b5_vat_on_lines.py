"""VAT: each order line's rate and the fee's, as sold; what each order was first charged

Revision ID: c6d2e8f0a4b5
Revises: b5c1d7e9f3a4
Create Date: 2026-12-05 11:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c6d2e8f0a4b5"
down_revision: str | None = "b5c1d7e9f3a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("vat_rate_bp", sa.Integer(), server_default="1000", nullable=False)
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fee_vat_rate_bp", sa.Integer(), server_default="2000", nullable=False)
        )
        batch_op.add_column(
            sa.Column("charged_at_order_cents", sa.Integer(), server_default="0", nullable=False)
        )
    # Orders placed before: what they were charged at order time is not kept; their total now
    # is the best figure there is.
    op.execute("UPDATE orders SET charged_at_order_cents = total_cents")


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("charged_at_order_cents")
        batch_op.drop_column("fee_vat_rate_bp")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("vat_rate_bp")
