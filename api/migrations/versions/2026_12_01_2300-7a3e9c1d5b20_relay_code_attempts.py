"""relay code: wrong tries counted per drop-off stop; idempotency keys indexed by age

Revision ID: 7a3e9c1d5b20
Revises: 5d1c7e0a9b3f
Create Date: 2026-12-01 23:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3e9c1d5b20"
down_revision: str | None = "5d1c7e0a9b3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stops") as batch:
        batch.add_column(
            sa.Column("code_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index("ix_idempotency_records_created_at", "idempotency_records", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_records_created_at", table_name="idempotency_records")
    with op.batch_alter_table("stops") as batch:
        batch.drop_column("code_attempts")
