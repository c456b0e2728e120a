"""managing the alliance: restaurant contact and deactivation, VAT classes, opening
exceptions, password links

Revision ID: e5b1c3d7a9f2
Revises: d2a7c9e4f1b8
Create Date: 2026-12-03 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b1c3d7a9f2"
down_revision: str | None = "d2a7c9e4f1b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("restaurants") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column("phone", sa.String(length=30), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("email", sa.String(length=254), server_default="", nullable=False)
        )
    with op.batch_alter_table("dishes") as batch:
        batch.add_column(
            sa.Column("vat_class", sa.String(length=12), server_default="food_10", nullable=False)
        )
    op.create_table(
        "opening_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("restaurant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=True),
        sa.Column("closes", sa.Time(), nullable=True),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "(opens IS NULL AND closes IS NULL) OR closes > opens",
            name="ck_opening_exceptions_closes_after_opens",
        ),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name="fk_opening_exceptions_restaurant_id_restaurants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_opening_exceptions"),
        sa.UniqueConstraint(
            "restaurant_id", "day", "opens", name="uq_opening_exceptions_restaurant_id"
        ),
    )
    op.create_index("ix_opening_exceptions_restaurant_id", "opening_exceptions", ["restaurant_id"])
    op.create_table(
        "password_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_password_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_password_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_password_tokens_token_hash"),
    )
    op.create_index("ix_password_tokens_user_id", "password_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_tokens_user_id", table_name="password_tokens")
    op.drop_table("password_tokens")
    op.drop_index("ix_opening_exceptions_restaurant_id", table_name="opening_exceptions")
    op.drop_table("opening_exceptions")
    with op.batch_alter_table("dishes") as batch:
        batch.drop_column("vat_class")
    with op.batch_alter_table("restaurants") as batch:
        batch.drop_column("email")
        batch.drop_column("phone")
        batch.drop_column("active")
