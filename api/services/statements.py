"""Statements. A courier's: what each shift earned, from its journal account. A kitchen's:
its handed-over parts over a period, order by order, read from the journal (what it is owed
before VAT, what it paid in commission) and from the order lines (its part as charged, VAT
included). Gross less VAT is what the journal credited it, to the cent: both split each line
by api.services.vat."""

import csv
import io
from collections import defaultdict
from datetime import date, datetime

from sqlmodel import Session, col, select

from api.models import ENDED_TICKET_STATES, LedgerEntry, LedgerKind, OrderLine, Ticket
from api.schemas.ops import Statement, StatementLine
from api.services import ledger
from api.services.vat import vat_in


def kitchen_statement(
    session: Session,
    restaurant_id: int,
    period: tuple[date | None, date | None],
    bounds: tuple[datetime | None, datetime | None],
) -> Statement:
    """The kitchen's statement over the local dates `period` (UTC `bounds`)."""
    account = ledger.kitchen_account(restaurant_id)
    mine = _entries(session, account, bounds)
    commission_txns = {e.txn for e in mine if e.kind is LedgerKind.COMMISSION}
    commission = _commission_by_txn(session, commission_txns)
    orders: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    moments: dict[int, datetime] = {}
    for entry in mine:
        assert entry.order_id is not None
        figures = orders[entry.order_id]
        moments.setdefault(entry.order_id, entry.at)
        figures["net"] += entry.credit_cents - entry.debit_cents
        if entry.kind is LedgerKind.COMMISSION:
            figures["commission"] += commission[entry.txn]
            figures["commission_vat"] += entry.debit_cents - commission[entry.txn]
    parts = _parts(session, restaurant_id, list(orders))
    lines = [
        StatementLine(
            order_id=order_id,
            label=f"order #{order_id}",
            at=moments[order_id],
            gross_cents=parts[order_id][0],
            vat_cents=parts[order_id][1],
            commission_cents=figures["commission"],
            commission_vat_cents=figures["commission_vat"],
            refunds_cents=0,
            net_cents=figures["net"],
        )
        for order_id, figures in orders.items()
    ]
    return _statement(account, period, lines)


def courier_statement(
    session: Session,
    courier_id: int,
    period: tuple[date | None, date | None],
    bounds: tuple[datetime | None, datetime | None],
) -> Statement:
    """What the courier earned over the period, shift by shift, from its journal account."""
    account = ledger.courier_account(courier_id)
    lines = [
        StatementLine(
            order_id=entry.order_id,
            label=entry.memo,
            at=entry.at,
            gross_cents=entry.credit_cents - entry.debit_cents,
            vat_cents=0,
            commission_cents=0,
            commission_vat_cents=0,
            refunds_cents=0,
            net_cents=entry.credit_cents - entry.debit_cents,
        )
        for entry in _entries(session, account, bounds)
    ]
    return _statement(account, period, lines)


def _entries(
    session: Session, account: str, bounds: tuple[datetime | None, datetime | None]
) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.account == account)
    if bounds[0] is not None:
        query = query.where(col(LedgerEntry.at) >= bounds[0])
    if bounds[1] is not None:
        query = query.where(col(LedgerEntry.at) < bounds[1])
    return list(session.exec(query.order_by(col(LedgerEntry.id))).all())


def _statement(
    party: str, period: tuple[date | None, date | None], lines: list[StatementLine]
) -> Statement:
    """The lines and their totals."""
    return Statement(
        party=party,
        start=period[0],
        end=period[1],
        lines=lines,
        gross_cents=sum(line.gross_cents for line in lines),
        vat_cents=sum(line.vat_cents for line in lines),
        commission_cents=sum(line.commission_cents for line in lines),
        commission_vat_cents=sum(line.commission_vat_cents for line in lines),
        refunds_cents=sum(line.refunds_cents for line in lines),
        net_cents=sum(line.net_cents for line in lines),
    )


def _commission_by_txn(session: Session, txns: set[str]) -> dict[str, int]:
    """Each commission transaction's commission before VAT: what the alliance earned in it."""
    rows = session.exec(
        select(LedgerEntry).where(
            col(LedgerEntry.txn).in_(txns), LedgerEntry.account == ledger.ALLIANCE_COMMISSION
        )
    ).all()
    return {row.txn: row.credit_cents for row in rows}


def _parts(
    session: Session, restaurant_id: int, order_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """Per order, the kitchen's charged part: VAT included, and its VAT."""
    rows = session.exec(
        select(Ticket.order_id, OrderLine)
        .join(OrderLine, col(OrderLine.ticket_id) == col(Ticket.id))
        .where(
            col(Ticket.order_id).in_(order_ids),
            Ticket.restaurant_id == restaurant_id,
            col(Ticket.status).not_in(ENDED_TICKET_STATES),
        )
    ).all()
    parts: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for order_id, line in rows:
        total = line.unit_price_cents * line.quantity
        gross, vat = parts[order_id]
        parts[order_id] = (gross + total, vat + vat_in(total, line.vat_rate_bp))
    return parts


CSV_COLUMNS = (
    "order_id",
    "label",
    "at",
    "gross_cents",
    "vat_cents",
    "commission_cents",
    "commission_vat_cents",
    "refunds_cents",
    "net_cents",
)


def statement_csv(statement: Statement) -> str:
    """The statement's lines, then its totals, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow(
            [line.order_id or "", line.label, line.at.isoformat()]
            + [getattr(line, column) for column in CSV_COLUMNS[3:]]
        )
    writer.writerow(["total", "", ""] + [getattr(statement, column) for column in CSV_COLUMNS[3:]])
    return out.getvalue()
