"""The journal as a FEC file: the published columns, in order, and entries that balance."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from tests.test_ledger import _deliver, _operator
from tests.test_orders import customer, place, two_kitchen_cart  # noqa: F401

# Article A47 A-1 of the Livre des procédures fiscales: the 18 fields of a FEC, in this order.
PUBLISHED = [
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
]


def _cents(amount: str) -> int:
    euros, cents = amount.split(",")
    assert len(cents) == 2
    return int(euros) * 100 + int(cents)


def test_the_fec_has_the_published_columns_and_balances(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    for key in ("a", "b"):
        order = place(client, customer, two_kitchen_cart(session), f"fec-{key}").json()
        _deliver(session, order["id"], clock)
    # An operator's reason with a tab and a line break stays on its one line, in its field.
    refund = {"amount_cents": 100, "fault": "alliance", "reason": "cold\tand\nlate"}
    assert client.post(
        f"/api/v1/ops/orders/{order['id']}/refund", json=refund, headers=operator
    ).is_success
    response = client.get("/api/v1/ops/exports/fec", headers=operator)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith('attachment; filename="FEC')
    rows = [line.split("\t") for line in response.text.split("\r\n") if line]
    assert rows[0] == PUBLISHED
    body = rows[1:]
    assert body
    assert all(len(row) == 18 for row in body)
    field = {name: i for i, name in enumerate(PUBLISHED)}
    debit = sum(_cents(row[field["Debit"]]) for row in body)
    credit = sum(_cents(row[field["Credit"]]) for row in body)
    assert debit == credit > 0
    numbers = [int(row[field["EcritureNum"]]) for row in body]
    assert sorted(set(numbers)) == list(range(1, max(numbers) + 1)), "numbered without a gap"
    for number in set(numbers):
        mine = [row for row in body if int(row[field["EcritureNum"]]) == number]
        assert sum(_cents(r[field["Debit"]]) - _cents(r[field["Credit"]]) for r in mine) == 0
    day = clock.now().strftime("%Y%m%d")
    assert {row[field["EcritureDate"]] for row in body} == {day}
    assert {row[field["CompteNum"]] for row in body} >= {"411000", "401000", "706100", "445710"}
    customer_rows = [row for row in body if row[field["CompteNum"]] == "411000"]
    assert all(row[field["CompAuxNum"]].startswith("C") for row in customer_rows)
    assert all(row[field["JournalCode"]] == "VE" for row in body)
    assert any(row[field["EcritureLib"]].endswith("cold and late") for row in body)
