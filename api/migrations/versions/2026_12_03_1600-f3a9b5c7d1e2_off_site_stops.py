"""stops done away from their place: how far, and the courier's reason

Revision ID: f3a9b5c7d1e2
Revises: e2f8a4b6c7d9
Create Date: 2026-12-03 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9b5c7d1e2"
down_revision: str | None = "e2f8a4b6c7d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("off_site_m", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("off_site_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_column("off_site_reason")
        batch_op.drop_column("off_site_m")
