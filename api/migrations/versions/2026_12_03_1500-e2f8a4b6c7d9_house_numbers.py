"""house numbers imported from a national address file

Revision ID: e2f8a4b6c7d9
Revises: d1e7f3a9b5c6
Create Date: 2026-12-03 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2f8a4b6c7d9"
down_revision: str | None = "d1e7f3a9b5c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "house_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("street_key", sa.String(length=200), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_numbers")),
        sa.UniqueConstraint("street_key", "number", name=op.f("uq_house_numbers_street_key")),
    )
    with op.batch_alter_table("house_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_house_numbers_street_key", ["street_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("house_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_house_numbers_street_key")
    op.drop_table("house_numbers")
