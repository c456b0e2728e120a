"""kitchens' real pace: each ticket's declared time, load at start and due time, each
kitchen's learned fit and its cap of orders per quarter hour

Revision ID: a4b0c6d8e2f3
Revises: f3a9b5c7d1e2
Create Date: 2026-12-04 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4b0c6d8e2f3"
down_revision: str | None = "f3a9b5c7d1e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("declared_minutes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("load_at_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_tickets_restaurant_id_due_at", ["restaurant_id", "due_at"], unique=False
        )
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("orders_per_quarter", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "learned_paces",
        sa.Column("restaurant_id", sa.Integer(), nullable=False),
        sa.Column("median_a", sa.Float(), nullable=False),
        sa.Column("median_b", sa.Float(), nullable=False),
        sa.Column("upper_a", sa.Float(), nullable=False),
        sa.Column("upper_b", sa.Float(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name=op.f("fk_learned_paces_restaurant_id_restaurants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("restaurant_id", name=op.f("pk_learned_paces")),
    )


def downgrade() -> None:
    op.drop_table("learned_paces")
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        batch_op.drop_column("orders_per_quarter")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_restaurant_id_due_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("load_at_start")
        batch_op.drop_column("declared_minutes")
