"""customer mails: the mail outbox, and each customer's language and mail switch

Revision ID: d1e7f3a9b5c6
Revises: c9d5e3f7a1b2
Create Date: 2026-12-03 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1e7f3a9b5c6"
down_revision: str | None = "c9d5e3f7a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "language",
                sa.Enum("fr", "en", name="language", native_enum=False, length=2),
                server_default="fr",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("email_notifications", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "confirmed",
                "part_refused",
                "out_for_delivery",
                "at_relay",
                "delivered",
                name="mailkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_mails_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mails_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mails")),
    )
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.create_index("ix_mails_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_mails_pending", ["sent_at", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.drop_index("ix_mails_pending")
        batch_op.drop_index("ix_mails_order_id")
    op.drop_table("mails")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_notifications")
        batch_op.drop_column("language")
