"""the door: house number, floor, door code, entry notes and phone on orders and saved addresses

Revision ID: b8c4d2e6f0a1
Revises: a7d3e5f9b1c4
Create Date: 2026-12-03 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8c4d2e6f0a1"
down_revision: str | None = "a7d3e5f9b1c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOOR = [("house_number", 12), ("floor", 20), ("door_code", 20), ("phone", 32)]


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        for name, length in [*_DOOR, ("address_notes", 200)]:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        for name, length in _DOOR:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        for name, _ in reversed(_DOOR):
            batch_op.drop_column(name)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        for name, _ in reversed([*_DOOR, ("address_notes", 200)]):
            batch_op.drop_column(name)
