"""A kitchen's statement: its handed-over parts, with totals equal to the journal's."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.services.vat import euros, share_of, vat_in
from api.settings import Settings
from tests.accounts import restaurant_id
from tests.test_dispatcher import NEAR_BRETAGNE, Alliance
from tests.test_ledger import _account, _balance, _deliver, _operator
from tests.test_ops import courier_id
from tests.test_orders import (  # noqa: F401
    customer,
    kitchen,
    pho_refuses,
    place,
    two_kitchen_cart,
)


def test_a_kitchens_statement_equals_the_journal_and_its_own_page(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    comptoir = restaurant_id(session, "comptoir-oberkampf")
    contract = {"commission_bp": 1500, "commission_fixed_cents": 50}
    assert client.patch(
        f"/api/v1/ops/restaurants/{comptoir}", json=contract, headers=operator
    ).is_success
    first = place(client, customer, two_kitchen_cart(session), "one").json()
    second = place(client, customer, two_kitchen_cart(session), "two").json()
    pho_refuses(client, session, settings, clock, second)
    for order in (first, second):
        _deliver(session, order["id"], clock)

    response = client.get(f"/api/v1/ops/statements?party=kitchen:{comptoir}", headers=operator)
    assert response.status_code == 200, response.text
    statement = response.json()
    assert [line["order_id"] for line in statement["lines"]] == [first["id"], second["id"]]
    base = 1950 - vat_in(1950, 1000)
    commission = share_of(base, 1500) + 50
    assert statement["gross_cents"] == 2 * 1950
    assert statement["vat_cents"] == 2 * vat_in(1950, 1000)
    assert statement["commission_cents"] == 2 * commission
    assert statement["commission_vat_cents"] == 2 * share_of(commission, 2000)
    assert statement["net_cents"] == (
        statement["gross_cents"]
        - statement["vat_cents"]
        - statement["commission_cents"]
        - statement["commission_vat_cents"]
        - statement["refunds_cents"]
    )
    debit, credit = _account(_balance(client, operator), f"kitchen:{comptoir}")
    assert statement["net_cents"] == credit - debit, "the statement is the journal's"

    # Phở Turenne's statement holds the order it cooked, not the part it refused.
    pho_id = restaurant_id(session, "pho-turenne")
    pho_statement = client.get(
        f"/api/v1/ops/statements?party=kitchen:{pho_id}", headers=operator
    ).json()
    assert [line["order_id"] for line in pho_statement["lines"]] == [first["id"]]
    assert pho_statement["gross_cents"] == 2700

    own = client.get(
        "/api/v1/kitchen/statement", headers=kitchen(session, settings, clock, "comptoir-oberkampf")
    )
    assert own.status_code == 200
    assert own.json() == statement, "the kitchen sees the figures the operator sees"

    csv_text = client.get(
        f"/api/v1/ops/statements?party=kitchen:{comptoir}&format=csv", headers=operator
    )
    assert csv_text.headers["content-type"].startswith("text/csv")
    rows = csv_text.text.strip().splitlines()
    assert rows[0].startswith("order_id,label,at,gross_cents")
    assert len(rows) == 4
    assert rows[-1].startswith(f"total,,,{2 * 1950},")
    pdf = client.get(
        f"/api/v1/ops/statements?party=kitchen:{comptoir}&format=pdf", headers=operator
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="statement-kitchen-{comptoir}.pdf"' in pdf.headers["content-disposition"]
    page = client.get(
        f"/api/v1/ops/statements?party=kitchen:{comptoir}&format=html", headers=operator
    )
    assert page.headers["content-type"].startswith("text/html")
    assert f"Statement of kitchen:{comptoir}" in page.text
    assert page.text.count("<tr>") == 3, "a header and two orders, then the totals"
    assert f'<th class="num">{euros(statement["net_cents"])}</th>' in page.text


def test_a_statement_names_what_it_cannot_answer(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    operator = _operator(session, settings, clock)

    def problem(query: str) -> tuple[int, str]:
        response = client.get(f"/api/v1/ops/statements?{query}", headers=operator)
        body = response.json()["detail"]
        return response.status_code, body[0]["field"] if isinstance(body, list) else body

    assert problem("party=chef:1") == (422, "query.party")
    assert problem("party=courier:99999")[0] == 404
    assert problem("party=kitchen:99999")[0] == 404
    comptoir = restaurant_id(session, "comptoir-oberkampf")
    assert problem(f"party=kitchen:{comptoir}&from=2026-12-05&to=2026-12-01") == (422, "to")


def test_a_couriers_statement_is_its_shifts_pay(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    """An hour on shift with no order: the guaranteed hour, owed by the alliance."""
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(3, NEAR_BRETAGNE)
    clock.moment += timedelta(minutes=60)
    mine = alliance.courier(3)
    assert client.post("/api/v1/courier/shift/end", headers=mine).status_code == 200
    operator = _operator(session, settings, clock)
    number = courier_id(session, 3)
    statement = client.get(
        f"/api/v1/ops/statements?party=courier:{number}", headers=operator
    ).json()
    [line] = statement["lines"]
    assert line["label"].startswith("shift of 60 min, deliveries: 0 (began ")
    assert statement["net_cents"] == settings.courier_pay_hour_cents
    balance = _balance(client, operator)
    assert balance["balanced"]
    assert _account(balance, f"courier:{number}") == (0, settings.courier_pay_hour_cents)
    assert _account(balance, "alliance:courier_pay") == (settings.courier_pay_hour_cents, 0)
    own = client.get("/api/v1/courier/statement", headers=mine)
    assert own.status_code == 200
    assert own.json() == statement, "the courier reads the operator's figures"
