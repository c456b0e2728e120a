"""Statements. A courier's: what each shift earned, from its journal account. A kitchen's:
its handed-over parts over a period, order by order, read from the journal (what it is owed
before VAT, what it paid in commission) and from the order lines (its part as charged, VAT
included). Gross less VAT is what the journal credited it, to the cent: both split each line
by api.services.vat."""

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from typing import Final

from sqlmodel import Session, col, select

from api.models import ENDED_TICKET_STATES, LedgerEntry, LedgerKind, OrderLine, Ticket
from api.schemas.ops import Income, IncomeSource, Statement, StatementLine
from api.services import ledger, receipts
from api.services.receipts import new_pdf, stamp
from api.services.vat import euros, vat_in


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
        elif entry.kind is LedgerKind.REFUND:
            figures["refunds"] += entry.debit_cents - entry.credit_cents
    # Its part as charged, in the period of its sale (a refund may fall in a later one).
    sold = [e.order_id for e in mine if e.kind is LedgerKind.SALE and e.order_id is not None]
    parts = _parts(session, restaurant_id, sold)
    lines = [
        StatementLine(
            order_id=order_id,
            label=f"order #{order_id}",
            at=moments[order_id],
            gross_cents=parts[order_id][0],
            vat_cents=parts[order_id][1],
            commission_cents=figures["commission"],
            commission_vat_cents=figures["commission_vat"],
            refunds_cents=figures["refunds"],
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
    """What the courier earned over the period, shift by shift (and its tips), less the
    refunds charged to it, from its journal account."""
    account = ledger.courier_account(courier_id)
    lines = []
    for entry in _entries(session, account, bounds):
        refund = entry.debit_cents if entry.kind is LedgerKind.REFUND else 0
        lines.append(
            StatementLine(
                order_id=entry.order_id,
                label=entry.memo,
                at=entry.at,
                gross_cents=entry.credit_cents - entry.debit_cents + refund,
                vat_cents=0,
                commission_cents=0,
                commission_vat_cents=0,
                refunds_cents=refund,
                net_cents=entry.credit_cents - entry.debit_cents,
            )
        )
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


def statement_pdf(statement: Statement, alliance: str, timezone: str) -> bytes:
    """The statement as a PDF: a row per order or shift, then the totals."""
    pdf = new_pdf()
    pdf.set_title(f"Statement, {statement.party}")
    pdf.set_author(alliance)
    pdf.add_page(orientation="L")
    pdf.set_font("DejaVu", "B", 14)
    period = f"{statement.start or '…'} to {statement.end or '…'}"
    pdf.cell(0, 9, f"{alliance}: statement of {statement.party}, {period}")
    pdf.ln(12)
    widths = (70, 30, *([29] * len(PDF_COLUMNS)))
    pdf.set_font("DejaVu", "B", 8)
    for text, width in zip(("What", "When", *PDF_COLUMNS.values()), widths, strict=True):
        pdf.cell(width, 6, text, border="B", align="L" if width >= 30 else "R")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for line in statement.lines:
        pdf.cell(widths[0], 5, line.label[:48])
        pdf.cell(widths[1], 5, stamp(line.at, timezone))
        for key in PDF_COLUMNS:
            pdf.cell(29, 5, euros(getattr(line, key)), align="R")
        pdf.ln()
    pdf.set_font("DejaVu", "B", 8)
    pdf.cell(widths[0] + widths[1], 6, "Total", border="T")
    for key in PDF_COLUMNS:
        pdf.cell(29, 6, euros(getattr(statement, key)), border="T", align="R")
    return bytes(pdf.output())


def statement_html(statement: Statement, alliance: str, timezone: str) -> str:
    """The statement as a printable page, the PDF's columns, its times in the alliance's zone."""
    return receipts.TEMPLATES.get_template("statement.html").render(
        s=statement.model_dump(),
        alliance=alliance,
        columns=PDF_COLUMNS,
        when=lambda at: stamp(at, timezone),
    )


PDF_COLUMNS = {
    "gross_cents": "Gross",
    "vat_cents": "VAT",
    "commission_cents": "Commission",
    "commission_vat_cents": "Its VAT",
    "refunds_cents": "Refunds",
    "net_cents": "Net",
}


INCOME_SOURCES: Final = (
    (ledger.ALLIANCE_FEES, "delivery fees"),
    (ledger.ALLIANCE_COMMISSION, "commissions"),
    (ledger.ALLIANCE_COURIER_PAY, "couriers' pay"),
    (ledger.ALLIANCE_REFUNDS, "refunds borne by the alliance"),
)


def income(
    session: Session,
    period: tuple[date | None, date | None],
    bounds: tuple[datetime | None, datetime | None],
) -> Income:
    """The alliance's own accounts over the period: what it earned and what it spent."""
    totals = {t.account: t for t in ledger.trial_balance(session, *bounds)}
    sources = [
        IncomeSource(
            source=label,
            account=account,
            cents=(totals[account].credit_cents - totals[account].debit_cents)
            if account in totals
            else 0,
        )
        for account, label in INCOME_SOURCES
    ]
    earned = sum(s.cents for s in sources if s.cents > 0)
    spent = -sum(s.cents for s in sources if s.cents < 0)
    return Income(
        start=period[0],
        end=period[1],
        sources=sources,
        earned_cents=earned,
        spent_cents=spent,
        net_cents=earned - spent,
    )
