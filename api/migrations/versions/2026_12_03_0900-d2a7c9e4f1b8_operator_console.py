"""operator console: pins, unplaced reasons, operator versions, faults and the audit log

Revision ID: d2a7c9e4f1b8
Revises: 9b8e7d6c5a41
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2a7c9e4f1b8"
down_revision: str | None = "9b8e7d6c5a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAULT = sa.String(length=8)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("cancel_fault", FAULT, nullable=True))
        batch.add_column(sa.Column("pinned_courier_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unplaced_reason", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("operator_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch.create_foreign_key(
            "fk_orders_pinned_courier_id_couriers", "couriers", ["pinned_courier_id"], ["id"]
        )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("cancel_fault", FAULT, nullable=True))
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_audit_entries_actor_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"])
    op.create_index("ix_audit_entries_subject", "audit_entries", ["subject_kind", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_subject", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_id", table_name="audit_entries")
    op.drop_table("audit_entries")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("cancel_fault")
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("fk_orders_pinned_courier_id_couriers", type_="foreignkey")
        batch.drop_column("operator_version")
        batch.drop_column("unplaced_reason")
        batch.drop_column("pinned_courier_id")
        batch.drop_column("cancel_fault")
