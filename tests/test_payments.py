"""Paying on delivery or at the relay shop: by card, in cash, in meal vouchers up to their daily
cap; journalled when the courier or the shop confirms it."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import FixedClock
from api.models import LedgerEntry, LedgerKind, Order
from api.services import payments
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_courier_api import bag_ready, planned_round
from tests.test_ledger import _account, _balance, _operator
from tests.test_ops import courier_id
from tests.test_orders import customer, place, two_kitchen_cart  # noqa: F401
from tests.test_relay import VOLTAIRE


def _paid(session: Session, order_id: int) -> dict[str, int]:
    entries = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.order_id == order_id, LedgerEntry.kind == LedgerKind.PAYMENT
        )
    ).all()
    return {e.account: e.debit_cents - e.credit_cents for e in entries}


def test_a_card_payment_at_the_door_settles_what_the_customer_owes(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, round_ = planned_round(
        client, session, settings, clock, geography, tip_cents=200
    )
    pickup, door = round_["stops"]
    bag_ready(client, alliance, order)
    mine = alliance.courier(1)
    for stop in (pickup, door):
        assert client.post(f"/api/v1/courier/stops/{stop['id']}/done", headers=mine).is_success
    due = order["total_cents"] + 200
    customer_id = session.get(Order, order["id"]).customer_id  # type: ignore[union-attr]
    assert _paid(session, order["id"]) == {"payments:card": due, f"customer:{customer_id}": -due}
    balance = _balance(client, _operator(session, settings, clock))
    assert balance["balanced"]
    assert _account(balance, f"customer:{customer_id}") == (due, due), "owed, then paid"
    courier = courier_id(session, 1)
    assert _account(balance, f"courier:{courier}")[1] == 200, "the tip"
    # The courier dropped the bag: a refund at its fault comes out of its account.
    operator = _operator(session, settings, clock)
    refund = {"amount_cents": 150, "fault": "courier", "reason": "bag dropped"}
    answer = client.post(f"/api/v1/ops/orders/{order['id']}/refund", json=refund, headers=operator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["charged_to"] == f"courier:{courier}"
    statement = client.get(
        f"/api/v1/ops/statements?party=courier:{courier}", headers=operator
    ).json()
    # The credit note takes its VAT back from the VAT collected: the courier bears the rest.
    balance = _balance(client, operator)
    vat_back = _account(balance, "vat:collected")[0]
    assert 0 < vat_back < 150
    assert statement["refunds_cents"] == 150 - vat_back
    debit, credit = _account(balance, f"courier:{courier}")
    assert statement["net_cents"] == credit - debit == 200 - (150 - vat_back)


def test_cash_at_the_relay_shop_is_journalled_when_it_hands_the_parcel_over(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    relays = client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if "Voltaire" in r["name"])
    alliance, order, round_ = planned_round(
        client,
        session,
        settings,
        clock,
        geography,
        destination={"relay_point_id": voltaire["id"]},
        payment_method="cash",
    )
    assert order["payment_method"] == "cash"
    pickup, _ = round_["stops"]
    bag_ready(client, alliance, order)
    assert client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=alliance.courier(1))
    shop = headers_for(session, settings, clock, VOLTAIRE)
    base = f"/api/v1/relay/parcels/{order['id']}"
    assert client.post(f"{base}/received", headers=shop).is_success
    assert _paid(session, order["id"]) == {}, "not paid until the customer collects it"
    code = client.get(f"/api/v1/orders/{order['id']}", headers=alliance.customer).json()
    assert client.post(f"{base}/collected", headers=shop, json={"code": code["relay_code"]})
    paid = _paid(session, order["id"])
    assert paid[f"payments:cash:relay:{voltaire['id']}"] == order["total_cents"]


def test_meal_vouchers_pay_the_dishes_up_to_the_days_cap(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    body = {**two_kitchen_cart(session), "payment_method": "meal_voucher"}
    cap = settings.meal_voucher_daily_cap_cents
    quote = client.post("/api/v1/quotes", json=body).json()
    assert quote["voucher_cents"] == min(cap, quote["subtotal_cents"])
    first = place(client, customer, body, "v1").json()
    assert first["voucher_cents"] == cap == 2500, "46,50 € of dishes: the cap"
    second = place(client, customer, body, "v2").json()
    assert second["voucher_cents"] == 0, "the day's cap is spent"
    assert client.post(f"/api/v1/orders/{first['id']}/cancel", headers=customer).is_success
    third = place(client, customer, body, "v3").json()
    assert third["voucher_cents"] == cap, "a cancelled order gives its vouchers back"

    order = session.get(Order, third["id"])
    assert order is not None
    payments.record_payment(session, order, clock.now(), "courier:1")
    paid = _paid(session, third["id"])
    assert paid["payments:meal_vouchers"] == cap
    assert paid["payments:card"] == third["total_cents"] - cap, "the rest by card"


def test_a_payment_method_the_alliance_does_not_take_is_refused(
    client: TestClient, session: Session
) -> None:
    body: dict[str, Any] = {**two_kitchen_cart(session), "payment_method": "bitcoin"}
    refused = client.post("/api/v1/quotes", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "body.payment_method"


def test_paying_online_is_refused_while_no_provider_is_enabled(
    client: TestClient, session: Session
) -> None:
    assert payments.PROVIDERS == {}
    body: dict[str, Any] = {**two_kitchen_cart(session), "payment_method": "online_card"}
    refused = client.post("/api/v1/quotes", json=body)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["field"] == "payment_method"
    assert "no online payment provider" in problem["reason"]
