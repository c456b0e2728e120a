"""The customer's receipt: each kitchen's part, the fee, VAT per rate to the cent, refunds."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.models import Dish, VatClass
from api.services.vat import vat_in
from api.settings import Settings
from tests.accounts import dish_id, headers_for, restaurant_id
from tests.test_orders import (  # noqa: F401
    customer,
    kitchen,
    pho_refuses,
    place,
    ticket_of,
    two_kitchen_cart,
)


def _receipt(client: TestClient, headers: dict[str, str], order_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/orders/{order_id}/receipt", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _add_up(receipt: dict[str, Any]) -> None:
    """Every figure of the receipt adds up to its total."""
    lines = receipt["vat_lines"]
    assert sum(v["total_cents"] for v in lines) == receipt["total_cents"]
    for v in lines:
        assert v["base_cents"] + v["vat_cents"] == v["total_cents"]
    charged = [p for p in receipt["parts"] if p["charged"]]
    assert sum(p["subtotal_cents"] for p in charged) == receipt["subtotal_cents"]
    assert receipt["subtotal_cents"] + receipt["delivery_fee_cents"] == receipt["total_cents"]
    # The parts' VAT lines and the fee's, summed per rate, are the order's.
    summed: dict[float, int] = {}
    for part in charged:
        for v in part["vat_lines"]:
            summed[v["rate_pct"]] = summed.get(v["rate_pct"], 0) + v["vat_cents"]
    fee_rate = receipt["delivery_fee_rate_pct"]
    fee_vat = vat_in(receipt["delivery_fee_cents"], round(fee_rate * 100))
    if receipt["delivery_fee_cents"]:
        summed[fee_rate] = summed.get(fee_rate, 0) + fee_vat
    assert summed == {v["rate_pct"]: v["vat_cents"] for v in lines}


def test_a_two_kitchen_order_with_wine_splits_its_vat_by_rate(
    client: TestClient,
    session: Session,
    customer: dict[str, str],  # noqa: F811
) -> None:
    steak = session.get(Dish, dish_id(session, "comptoir-oberkampf", "Steak frites"))
    assert steak is not None
    steak.vat_class = VatClass.ALCOHOL  # a steak with its glass of wine, for the test
    session.add(steak)
    session.commit()
    quote = client.post("/api/v1/quotes", json=two_kitchen_cart(session)).json()
    order = place(client, customer, two_kitchen_cart(session), "wine").json()
    receipt = _receipt(client, customer, order["id"])
    assert receipt["vat_lines"] == quote["vat_lines"], "the receipt is what was quoted"
    by_rate = {v["rate_pct"]: v for v in receipt["vat_lines"]}
    assert set(by_rate) == {10.0, 20.0}
    fee = receipt["delivery_fee_cents"]
    # 20 %: the steak (19,50 €) and the fee, each line's VAT rounded on its own.
    assert by_rate[20.0]["total_cents"] == 1950 + fee
    assert by_rate[20.0]["vat_cents"] == vat_in(1950, 2000) + vat_in(fee, 2000)
    # 10 %: two phở bò at 13,50 € make one line of 27,00 €.
    assert by_rate[10.0]["vat_cents"] == vat_in(2700, 1000) == 245
    assert receipt["refunded_cents"] == 0
    assert receipt["charged_at_order_cents"] == order["total_cents"]
    _add_up(receipt)


def test_a_refused_part_shows_as_refunded_and_the_rest_still_adds_up(
    client: TestClient,
    session: Session,
    customer: dict[str, str],  # noqa: F811
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "refused").json()
    pho_refuses(client, session, settings, clock, order)
    receipt = _receipt(client, customer, order["id"])
    part = next(p for p in receipt["parts"] if p["restaurant_name"] == "Phở Turenne")
    assert not part["charged"]
    assert part["not_charged_because"] == "refused by the kitchen"
    assert receipt["total_cents"] == 1950 + 290
    # The phở and the second kitchen's share of the fee are taken off.
    assert receipt["refunded_cents"] == order["total_cents"] - (1950 + 290)
    assert receipt["refunded_cents"] >= 2700
    assert {v["rate_pct"] for v in receipt["vat_lines"]} == {10.0, 20.0}
    _add_up(receipt)


def test_the_receipt_as_a_page_and_as_a_pdf(
    client: TestClient,
    session: Session,
    customer: dict[str, str],  # noqa: F811
) -> None:
    body = {**two_kitchen_cart(session), "tip_cents": 200}
    order = place(client, customer, body, "paper").json()
    page = client.get(f"/api/v1/orders/{order['id']}/receipt?format=html", headers=customer)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "2 × Phở bò" in page.text
    assert "Total charged" in page.text
    assert "27,00 €" in page.text
    assert "Tip for the courier (no VAT)" in page.text
    receipt = _receipt(client, customer, order["id"])
    assert receipt["tip_cents"] == 200
    _add_up(receipt)
    pdf = client.get(f"/api/v1/orders/{order['id']}/receipt?format=pdf", headers=customer)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="receipt-{order["id"]}.pdf"'
    )
    assert pdf.content.startswith(b"%PDF-")
    assert b"DejaVu" in pdf.content, "the font that writes ở and € is embedded"
    bad = client.get(f"/api/v1/orders/{order['id']}/receipt?format=doc", headers=customer)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "query.format"


def test_the_invoice_names_who_sold_and_who_issued_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    """French invoices name the seller (registered name, address, SIRET, VAT number): each
    kitchen for its part, the alliance as the issuer under their billing mandate. The numbers
    are checked by their check digits; a wrong one is refused naming its field."""
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    pho = restaurant_id(session, "pho-turenne")
    url = f"/api/v1/ops/restaurants/{pho}"
    for field, wrong in (("siret", "73282932000075"), ("vat_number", "FR41303265045")):
        refused = client.patch(url, json={field: wrong}, headers=operator)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == f"body.{field}"
    identity = {
        "legal_name": "Phở Turenne SARL",
        "siret": "732 829 320 00074",
        "vat_number": "FR 40 303265045",
    }
    saved = client.patch(url, json=identity, headers=operator)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["siret"], saved.json()["vat_number"]) == (
        "73282932000074",
        "FR40303265045",
    )

    order = place(client, customer, two_kitchen_cart(session), "legal").json()
    receipt = _receipt(client, customer, order["id"])
    [seller] = [p["seller"] for p in receipt["parts"] if p["restaurant_id"] == pho]
    assert seller["name"] == "Phở Turenne SARL"
    assert (seller["siret"], seller["vat_number"]) == ("73282932000074", "FR40303265045")
    assert seller["address"], "its address"
    assert receipt["issuer"]["name"] == settings.alliance_name
    page = client.get(f"/api/v1/orders/{order['id']}/receipt?format=html", headers=customer)
    assert "Sold by Phở Turenne SARL" in page.text
    assert "SIRET 73282932000074 · VAT no. FR40303265045" in page.text
    _add_up(receipt)
