"""The journal as a FEC (fichier des écritures comptables), the file French accountants and
the tax administration import (article A47 A-1 of the Livre des procédures fiscales): 18
tab-separated columns, dates as YYYYMMDD, amounts with a decimal comma.

Each party account maps to the French chart of accounts (plan comptable général), the party
itself as the auxiliary account: customers 411, kitchens (suppliers of the food) 401,
couriers (pay owed) 421, the delivery fee and the commission 706, courier pay 641, VAT
collected 44571, tips held to pass on 467, payments to cash in 511 (cards, meal vouchers) and
530 (cash, the courier or the relay shop holding it as auxiliary account). Transactions are
numbered in date order without a gap over the exported period.
"""

from datetime import datetime
from typing import Final

from sqlmodel import Session, col, select

from api.models import LedgerEntry, LedgerKind
from api.services import ledger

COLUMNS: Final = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
"""The published column list, in its order."""
JOURNALS: Final = {
    LedgerKind.SALE: ("VE", "Ventes"),
    LedgerKind.COMMISSION: ("VE", "Ventes"),
    LedgerKind.COURIER_PAY: ("PA", "Paie"),
    LedgerKind.PAYMENT: ("EN", "Encaissements"),
    LedgerKind.REFUND: ("VE", "Ventes"),
    LedgerKind.ADJUSTMENT: ("OD", "Opérations diverses"),
}
ACCOUNTS: Final = {
    ledger.ALLIANCE_FEES: ("706100", "Prestations de services - livraison"),
    ledger.ALLIANCE_COMMISSION: ("706200", "Commissions"),
    ledger.ALLIANCE_COURIER_PAY: ("641000", "Rémunérations des coursiers"),
    ledger.TIPS_HELD: ("467000", "Pourboires à reverser"),
    ledger.ALLIANCE_REFUNDS: ("658000", "Dédommagements des clients"),
    ledger.VAT_COLLECTED: ("445710", "TVA collectée"),
}
PAYMENTS: Final = {
    "payments:card": ("511200", "Cartes bancaires à encaisser"),
    "payments:meal_vouchers": ("511300", "Titres-restaurant à encaisser"),
}
CASH: Final = {
    "courier": ("530100", "Espèces chez les coursiers", "R"),
    "relay": ("530200", "Espèces chez les relais", "P"),
}
PARTIES: Final = {
    "customer": ("411000", "Clients", "C"),
    "kitchen": ("401000", "Fournisseurs - cuisines", "K"),
    "courier": ("421000", "Coursiers - rémunérations dues", "R"),
}


def _account(name: str) -> tuple[str, str, str, str]:
    """(CompteNum, CompteLib, CompAuxNum, CompAuxLib) of a journal account."""
    if name in ACCOUNTS or name in PAYMENTS:
        number, label = ACCOUNTS.get(name) or PAYMENTS[name]
        return number, label, "", ""
    if name.startswith("payments:cash:"):
        holder, ident = name.removeprefix("payments:cash:").split(":")
        number, label, prefix = CASH[holder]
        return number, label, f"{prefix}{ident}", f"{holder} {ident}"
    kind, ident = name.split(":")
    number, label, prefix = PARTIES[kind]
    return number, label, f"{prefix}{ident}", f"{kind} {ident}"


def _text(value: str) -> str:
    """A field's text on one line, without the tab that separates fields (an operator's
    reason may hold either)."""
    return " ".join(value.split())


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y%m%d")


def fec(session: Session, start: datetime | None, end: datetime | None) -> str:
    """The journal's entries over the period as a FEC file."""
    query = select(LedgerEntry)
    if start is not None:
        query = query.where(col(LedgerEntry.at) >= start)
    if end is not None:
        query = query.where(col(LedgerEntry.at) < end)
    entries = session.exec(query.order_by(col(LedgerEntry.at), col(LedgerEntry.id))).all()
    numbers: dict[str, int] = {}
    lines = ["\t".join(COLUMNS)]
    for entry in entries:
        number = numbers.setdefault(entry.txn, len(numbers) + 1)
        code, journal = JOURNALS[entry.kind]
        account, label, aux, aux_label = _account(entry.account)
        piece = f"CMD{entry.order_id}" if entry.order_id is not None else f"TX{number}"
        lines.append(
            "\t".join(
                (
                    code,
                    journal,
                    str(number),
                    _day(entry.at),
                    account,
                    label,
                    aux,
                    aux_label,
                    piece,
                    _day(entry.at),
                    _text(entry.memo or entry.kind.value),
                    _amount(entry.debit_cents),
                    _amount(entry.credit_cents),
                    "",
                    "",
                    _day(entry.at),
                    "",
                    "",
                )
            )
        )
    return "\r\n".join(lines) + "\r\n"
