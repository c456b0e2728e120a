"""The double-entry journal: every money event as balanced entries, never changed.

Accounts are named by party (api.services.ledger): `customer:12`, `kitchen:3`, `courier:7`,
`alliance:fees`, `alliance:commission`, `vat:collected`. A transaction's entries share its
`txn`; their debits equal their credits. Rows are never updated or deleted (the migration's
triggers refuse it on SQLite and PostgreSQL): a correction is a new transaction.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field
from api.models.enums import DocumentKind, LedgerKind


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint(
            "debit_cents >= 0 AND credit_cents >= 0 AND (debit_cents = 0 OR credit_cents = 0)",
            name="one_side",
        ),
        sa.Index("ix_ledger_entries_account_at", "account", "at"),
    )

    id: int | None = id_field()
    txn: str = Field(max_length=32, index=True, description="The transaction it belongs to")
    kind: LedgerKind = Field(sa_type=enum_type(LedgerKind, length=30))
    account: str = Field(max_length=60)
    debit_cents: int = Field(default=0, ge=0)
    credit_cents: int = Field(default=0, ge=0)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    memo: str = Field(default="", max_length=200, description="Cut to ledger.MEMO_LENGTH")
    at: datetime = created_at_field()


class Document(SQLModel, table=True):
    """An invoice (an order handed over) or a credit note (a refund), numbered per kind
    without a gap, its content as issued; never updated nor deleted (the migration's
    triggers refuse it): a correction is a credit note."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("kind", "number"),)

    id: int | None = id_field()
    kind: DocumentKind = Field(sa_type=enum_type(DocumentKind, length=20))
    number: int = Field(ge=1)
    order_id: int = Field(foreign_key="orders.id", index=True)
    total_cents: int
    content: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    issued_at: datetime = created_at_field()


class DocumentCounter(SQLModel, table=True):
    """The last number issued of each kind: taken by an UPDATE in the issuing transaction, so a
    rolled-back document gives its number back and the sequence keeps no gap."""

    __tablename__ = "document_counters"

    kind: DocumentKind = Field(sa_type=enum_type(DocumentKind, length=20), primary_key=True)
    last: int = Field(default=0, ge=0)
