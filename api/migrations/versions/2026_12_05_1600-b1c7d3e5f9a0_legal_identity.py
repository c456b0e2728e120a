"""a kitchen's legal identity for its invoices: registered name, SIRET, VAT number

Revision ID: b1c7d3e5f9a0
Revises: a0b6c2d4e8f9
Create Date: 2026-12-05 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1c7d3e5f9a0"
down_revision: str | None = "a0b6c2d4e8f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("legal_name", 200), ("siret", 14), ("vat_number", 13))


def upgrade() -> None:
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(
                sa.Column(
                    name,
                    sa.String(length=length),
                    server_default="",
                    nullable=False,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
