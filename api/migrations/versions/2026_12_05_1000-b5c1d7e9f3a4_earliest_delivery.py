"""each order's earliest delivery at the kitchens' pace, for the courier pool's load

Revision ID: b5c1d7e9f3a4
Revises: a4b0c6d8e2f3
Create Date: 2026-12-05 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5c1d7e9f3a4"
down_revision: str | None = "a4b0c6d8e2f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("earliest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("earliest_at")
