"""stops: when the courier sets off for a pickup (just in time for its planned moment)

Revision ID: c4f1a2b3d6e7
Revises: 7a3e9c1d5b20
Create Date: 2026-12-02 05:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f1a2b3d6e7"
down_revision: str | None = "7a3e9c1d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stops") as batch:
        batch.add_column(sa.Column("leave_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stops") as batch:
        batch.drop_column("leave_at")
