"""Invoices and credit notes, numbered per kind without a gap.

A number is taken by an UPDATE of the kind's counter in the issuing transaction: concurrent
issuers queue on that row, and a transaction that rolls back gives its number back, so the
issued numbers run 1, 2, 3… with no hole. Issued documents are never changed (database
triggers refuse it); a correction is a credit note.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.models import Document, DocumentCounter, DocumentKind

_COUNTERS: sa.Table = DocumentCounter.__table__  # type: ignore[attr-defined]


def issue(
    session: Session,
    kind: DocumentKind,
    order_id: int,
    total_cents: int,
    content: dict[str, Any],
    now: datetime,
) -> Document:
    """Issue the next document of the kind, in the caller's transaction."""
    number = session.execute(
        sa.update(_COUNTERS)
        .where(_COUNTERS.c.kind == kind.value)
        .values(last=_COUNTERS.c.last + 1)
        .returning(_COUNTERS.c.last)
    ).scalar_one()
    document = Document(
        kind=kind,
        number=number,
        order_id=order_id,
        total_cents=total_cents,
        content=content,
        issued_at=now,
    )
    session.add(document)
    session.flush()
    return document


def of_order(session: Session, order_id: int) -> list[Document]:
    """The order's documents, in the order they were issued."""
    return list(
        session.exec(
            select(Document).where(Document.order_id == order_id).order_by(col(Document.id))
        ).all()
    )
