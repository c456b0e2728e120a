"""the double-entry journal (entries never changed) and each kitchen's commission contract

Revision ID: d7e3f9a1b5c6
Revises: c6d2e8f0a4b5
Create Date: 2026-12-05 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7e3f9a1b5c6"
down_revision: str | None = "c6d2e8f0a4b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "ledger entries are never changed: a correction is a new entry"


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("debit_cents", sa.Integer(), nullable=False),
        sa.Column("credit_cents", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "debit_cents >= 0 AND credit_cents >= 0 AND (debit_cents = 0 OR credit_cents = 0)",
            name=op.f("ck_ledger_entries_one_side"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_ledger_entries_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_txn"), "ledger_entries", ["txn"])
    op.create_index(op.f("ix_ledger_entries_order_id"), "ledger_entries", ["order_id"])
    op.create_index("ix_ledger_entries_account_at", "ledger_entries", ["account", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_entries_frozen() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_frozen BEFORE UPDATE OR DELETE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entries_frozen()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entries_no_{event.lower()} BEFORE {event} "
                f"ON ledger_entries BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("commission_bp", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("commission_fixed_cents", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("restaurants", schema=None) as batch_op:
        batch_op.drop_column("commission_fixed_cents")
        batch_op.drop_column("commission_bp")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_frozen ON ledger_entries")
        op.execute("DROP FUNCTION ledger_entries_frozen()")
    op.drop_table("ledger_entries")
