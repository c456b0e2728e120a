"""An order's receipt: what the customer is charged, each kitchen's part, the fee, the VAT
per rate to the cent (api.services.vat), and what refused or cancelled parts took off; as
data, HTML and PDF (fpdf2, with the vendored DejaVu Sans: PDF's own fonts stop at Latin-1)."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

import jinja2
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlmodel import Session, col, select

from api.models import (
    ENDED_TICKET_STATES,
    DocumentKind,
    Fault,
    Order,
    OrderLine,
    Restaurant,
    Ticket,
    TicketStatus,
)
from api.schemas.orders import (
    CreditNotePublic,
    LegalIdentity,
    ReceiptLine,
    ReceiptPart,
    ReceiptPublic,
    VatLinePublic,
)
from api.services import documents
from api.services.hours import local
from api.services.quotes import public_vat_lines
from api.services.vat import euros
from api.settings import Settings

FONTS: Final = Path(__file__).resolve().parent.parent / "fonts"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        Path(__file__).resolve().parent.parent / "templates" / "receipt"
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["euros"] = euros


def identity(who: LegalIdentity) -> str:
    """A seller on one line, as French invoices name it: name, address, SIRET, VAT number."""
    return " · ".join(
        part
        for part in (
            who.name,
            who.address,
            f"SIRET {who.siret}" if who.siret else "",
            f"VAT no. {who.vat_number}" if who.vat_number else "",
        )
        if part
    )


TEMPLATES.globals["identity"] = identity
NOT_CHARGED: Final = {
    TicketStatus.REFUSED: "refused by the kitchen",
    TicketStatus.CANCELLED: "cancelled",
}


def _line_total(line: OrderLine) -> int:
    return line.unit_price_cents * line.quantity


def charged_lines(
    order: Order, tickets: Sequence[Ticket], lines: Sequence[OrderLine]
) -> list[tuple[int, int]]:
    """What the order charges as lines of (VAT rate, VAT-inclusive total): each dish of a part
    neither refused nor cancelled, then the delivery fee."""
    charged = {t.id for t in tickets if t.status not in ENDED_TICKET_STATES}
    dishes = [(line.vat_rate_bp, _line_total(line)) for line in lines if line.ticket_id in charged]
    return [*dishes, (order.fee_vat_rate_bp, order.delivery_fee_cents)]


def receipt(session: Session, order: Order, issuer: LegalIdentity) -> ReceiptPublic:
    """The order's receipt as it stands: charged parts and fee, VAT per rate, refunds; issued
    by the alliance in the kitchens' name."""
    tickets = session.exec(
        select(Ticket).where(Ticket.order_id == order.id).order_by(col(Ticket.id))
    ).all()
    lines = session.exec(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.id))
    ).all()
    kitchens = {
        r.id: r
        for r in session.exec(
            select(Restaurant).where(col(Restaurant.id).in_({t.restaurant_id for t in tickets}))
        ).all()
    }
    by_ticket = {t.id: [line for line in lines if line.ticket_id == t.id] for t in tickets}
    parts = [
        _part(ticket, by_ticket[ticket.id], kitchens[ticket.restaurant_id]) for ticket in tickets
    ]
    vat = public_vat_lines(charged_lines(order, tickets, lines))
    assert order.id is not None
    issued = documents.of_order(session, order.id)
    credit_notes = [
        CreditNotePublic(
            number=d.number,
            issued_at=d.issued_at,
            total_cents=d.total_cents,
            reason=str(d.content.get("reason", "")),
            fault=Fault(d.content["fault"]),
            vat_lines=public_vat_lines(
                [(rate, cents) for rate, cents in d.content.get("lines", [])]
            ),
        )
        for d in issued
        if d.kind is DocumentKind.CREDIT_NOTE
    ]
    return ReceiptPublic(
        order_id=order.id,
        placed_at=order.placed_at,
        status=order.status,
        alliance=issuer.name,
        issuer=issuer,
        parts=parts,
        delivery_fee_cents=order.delivery_fee_cents,
        delivery_fee_rate_pct=order.fee_vat_rate_bp / 100,
        subtotal_cents=order.subtotal_cents,
        total_cents=order.total_cents,
        vat_lines=vat,
        tip_cents=order.tip_cents,
        charged_at_order_cents=order.charged_at_order_cents,
        refunded_cents=order.charged_at_order_cents
        - order.total_cents
        + sum(note.total_cents for note in credit_notes),
        invoice_number=next((d.number for d in issued if d.kind is DocumentKind.INVOICE), None),
        credit_notes=credit_notes,
    )


NO_ISSUER: Final = LegalIdentity(name="", address="", siret="", vat_number="")
"""Where the alliance's settings are not at hand (the invoice frozen at the handover keeps the
kitchens' identities; the alliance's are in its settings, shown when the receipt is read)."""


def issuer_of(settings: Settings) -> LegalIdentity:
    """The alliance as its invoices name it (its settings)."""
    return LegalIdentity(
        name=settings.alliance_legal_name or settings.alliance_name,
        address=settings.alliance_address,
        siret=settings.alliance_siret,
        vat_number=settings.alliance_vat_number,
    )


def _part(ticket: Ticket, lines: list[OrderLine], kitchen: Restaurant) -> ReceiptPart:
    charged = ticket.status not in ENDED_TICKET_STATES
    return ReceiptPart(
        restaurant_id=ticket.restaurant_id,
        restaurant_name=kitchen.name,
        seller=LegalIdentity(
            name=kitchen.legal_name or kitchen.name,
            address=kitchen.address,
            siret=kitchen.siret,
            vat_number=kitchen.vat_number,
        ),
        charged=charged,
        subtotal_cents=ticket.subtotal_cents,
        lines=[
            ReceiptLine(
                dish_name=line.dish_name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                total_cents=_line_total(line),
                rate_pct=line.vat_rate_bp / 100,
            )
            for line in lines
        ],
        vat_lines=public_vat_lines([(line.vat_rate_bp, _line_total(line)) for line in lines]),
        not_charged_because=None if charged else NOT_CHARGED.get(ticket.status),
        fault=None if charged else ticket.cancel_fault,
    )


def _vat_table(pdf: FPDF, lines: list[VatLinePublic]) -> None:
    widths = (40, 45, 45, 45)
    pdf.set_font("DejaVu", "B", 9)
    for text, width in zip(("VAT rate", "Base", "VAT", "Total"), widths, strict=True):
        pdf.cell(width, 6, text, border="B", align="R" if text != "VAT rate" else "L")
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for vat in lines:
        pdf.cell(widths[0], 6, f"{vat.rate_pct:g} %")
        for cents, width in zip(
            (vat.base_cents, vat.vat_cents, vat.total_cents), widths[1:], strict=True
        ):
            pdf.cell(width, 6, euros(cents), align="R")
        pdf.ln()


def new_pdf() -> FPDF:
    """An A4 document writing with the vendored DejaVu Sans (regular and bold)."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    return pdf


def receipt_pdf(receipt: ReceiptPublic, timezone: str) -> bytes:
    """The receipt as a one-page PDF, its times in the alliance's zone."""
    pdf = new_pdf()
    pdf.set_title(f"Receipt, order #{receipt.order_id}")
    pdf.set_author(receipt.alliance)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, receipt.alliance, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 8)
    if receipt.issuer.address or receipt.issuer.siret or receipt.issuer.vat_number:
        pdf.multi_cell(0, 4, identity(receipt.issuer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(
        0,
        6,
        f"Receipt for order #{receipt.order_id}, placed {_placed(receipt, timezone)}"
        + (f", invoice no. {receipt.invoice_number}" if receipt.invoice_number else ""),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if receipt.invoice_number:
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(
            0,
            4,
            f"Invoice issued by {receipt.issuer.name} in the name and on behalf of each kitchen "
            "below, under their billing mandate.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(4)
    for part in receipt.parts:
        pdf.set_font("DejaVu", "B", 11)
        heading = (
            part.restaurant_name
            if part.charged
            else f"{part.restaurant_name} — {part.not_charged_because}, not charged"
        )
        pdf.cell(0, 7, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(
            0, 4, f"Sold by {identity(part.seller)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_font("DejaVu", "", 9)
        for line in part.lines:
            pdf.cell(100, 5, f"{line.quantity} × {line.dish_name}")
            pdf.cell(25, 5, f"{line.rate_pct:g} %", align="R")
            pdf.cell(50, 5, euros(line.total_cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    for label, cents in (
        (f"Delivery fee ({receipt.delivery_fee_rate_pct:g} % VAT)", receipt.delivery_fee_cents),
        ("Refunded", -receipt.refunded_cents),
        ("Tip for the courier (no VAT)", receipt.tip_cents),
    ):
        if cents:
            pdf.cell(125, 6, label)
            pdf.cell(50, 6, euros(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(125, 8, "Total charged")
    pdf.cell(
        50,
        8,
        euros(receipt.total_cents + receipt.tip_cents),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font("DejaVu", "", 9)
    for note in receipt.credit_notes:
        text = f"Credit note no. {note.number}: {euros(note.total_cents)} back ({note.reason})"
        pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for v in note.vat_lines:
            text = f"    of which {euros(v.vat_cents)} VAT at {v.rate_pct:g} %"
            pdf.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _vat_table(pdf, receipt.vat_lines)
    return bytes(pdf.output())


def receipt_html(receipt: ReceiptPublic, timezone: str) -> str:
    """The receipt as a printable page, its times in the alliance's zone."""
    return TEMPLATES.get_template("receipt.html").render(
        r=receipt, placed=_placed(receipt, timezone)
    )


def stamp(moment: datetime, timezone: str) -> str:
    """A moment as the alliance's documents print it: its local date and minute."""
    return f"{local(moment, timezone):%Y-%m-%d %H:%M}"


def _placed(receipt: ReceiptPublic, timezone: str) -> str:
    return f"{stamp(receipt.placed_at, timezone)} ({timezone})"
