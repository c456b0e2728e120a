"""A month through the API: hundreds of orders with refused parts, cancellations, tips, meal
vouchers and cash, handed over and paid, couriers' shifts ended. Then every statement's
totals equal the journal's, the journal balances, and the alliance's income is its fees and
commissions, to the cent."""

import random
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.models import Order
from api.services import payments
from api.services.orders import mark_delivered
from api.services.vat import share_of, vat_in
from api.settings import Settings
from tests.accounts import headers_for, restaurant_id
from tests.test_dispatcher import NEAR_BRETAGNE
from tests.test_ledger import _account, _balance
from tests.test_ops import courier_id
from tests.test_quotes import cart

KITCHENS = {
    "comptoir-oberkampf": ("Steak frites", 1500, 30),
    "pho-turenne": ("Phở bò", 1200, 0),
    "creperie-bretagne": ("Galette complète", 1000, 50),
}
DAYS = 30
ORDERS_A_DAY = 7


class Month:
    def __init__(self, client: TestClient, session: Session, settings: Settings, clock: FixedClock):
        self.client, self.session, self.settings, self.clock = client, session, settings, clock
        self.rng = random.Random(7)
        self.income = 0
        self.owed: dict[str, int] = {}

    def who(self, email: str) -> dict[str, str]:
        return headers_for(self.session, self.settings, self.clock, email)

    def contracts(self) -> None:
        operator = self.who("operator@chaud.demo")
        for slug, (_, bp, fixed) in KITCHENS.items():
            rid = restaurant_id(self.session, slug)
            body = {"commission_bp": bp, "commission_fixed_cents": fixed}
            assert self.client.patch(
                f"/api/v1/ops/restaurants/{rid}", json=body, headers=operator
            ).is_success

    def day(self, n: int, courier: int) -> None:
        customer = self.who("customer@chaud.demo")
        for k in range(ORDERS_A_DAY):
            slugs = self.rng.sample(sorted(KITCHENS), self.rng.choice([1, 1, 2]))
            body = cart(self.session, *((s, KITCHENS[s][0], self.rng.randint(1, 3)) for s in slugs))
            body["tip_cents"] = self.rng.choice([0, 0, 100, 250])
            body["payment_method"] = self.rng.choice(["card", "card", "cash", "meal_voucher"])
            placed = self.client.post(
                "/api/v1/orders", json=body, headers={**customer, "Idempotency-Key": f"m{n}-{k}"}
            )
            assert placed.status_code == 201, placed.text
            self.fate(placed.json(), customer, courier)

    def fate(self, order: dict[str, Any], customer: dict[str, str], courier: int) -> None:
        roll = self.rng.random()
        if roll < 0.05:
            url = f"/api/v1/orders/{order['id']}/cancel"
            assert self.client.post(url, headers=customer).is_success
            return
        if roll < 0.15:
            ticket = self.rng.choice(order["tickets"])
            slug = next(
                s for s in KITCHENS if restaurant_id(self.session, s) == ticket["restaurant_id"]
            )
            refused = self.client.post(
                f"/api/v1/kitchen/tickets/{ticket['id']}/refuse",
                json={"reason": "out of it"},
                headers=self.who(f"kitchen-{slug}@chaud.demo"),
            )
            assert refused.is_success, refused.text
        row = self.session.get(Order, order["id"])
        assert row is not None
        self.session.refresh(row)
        if row.total_cents == 0:  # every part refused: cancelled
            return
        mark_delivered(self.session, row, self.clock.now(), courier_id=courier)
        payments.record_payment(self.session, row, self.clock.now(), f"courier:{courier}")
        self.session.commit()
        fee = row.delivery_fee_cents
        self.income += fee - vat_in(fee, row.fee_vat_rate_bp)

    def shift(self, number: int) -> None:
        """A courier rides three hours."""
        assert self.client.post(
            "/api/v1/courier/shift/start",
            json=NEAR_BRETAGNE,
            headers=self.who(f"courier-{number}@chaud.demo"),
        ).is_success
        self.clock.moment += timedelta(hours=3)
        assert self.client.post(
            "/api/v1/courier/shift/end", headers=self.who(f"courier-{number}@chaud.demo")
        ).is_success


def test_a_month_of_orders_adds_up_to_the_cent(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    month = Month(client, session, settings, clock)
    month.contracts()
    start = clock.moment
    courier = courier_id(session, 3)
    for n in range(DAYS):
        clock.moment = start + timedelta(days=n)
        month.day(n, courier)
        month.shift(3)
    operator = month.who("operator@chaud.demo")
    balance = _balance(client, operator)
    assert balance["balanced"]
    assert balance["debit_cents"] > 0

    commissions = 0
    for slug in KITCHENS:
        rid = restaurant_id(session, slug)
        statement = client.get(
            f"/api/v1/ops/statements?party=kitchen:{rid}", headers=operator
        ).json()
        assert len(statement["lines"]) > 20
        debit, credit = _account(balance, f"kitchen:{rid}")
        assert statement["net_cents"] == credit - debit, slug
        assert statement["net_cents"] == (
            statement["gross_cents"]
            - statement["vat_cents"]
            - statement["commission_cents"]
            - statement["commission_vat_cents"]
            - statement["refunds_cents"]
        )
        _, bp, fixed = KITCHENS[slug]
        expected = sum(
            share_of(line["gross_cents"] - line["vat_cents"], bp) + fixed
            for line in statement["lines"]
        )
        assert statement["commission_cents"] == expected, slug
        commissions += statement["commission_cents"]
    # The alliance's income: its fees before VAT and its commissions, nothing else.
    assert _account(balance, "alliance:fees") == (0, month.income)
    assert _account(balance, "alliance:commission") == (0, commissions)
    income = client.get("/api/v1/ops/income", headers=operator).json()
    assert income["earned_cents"] == month.income + commissions
    pay = _account(balance, "alliance:courier_pay")[0]
    assert income["spent_cents"] == pay == DAYS * 3 * settings.courier_pay_hour_cents
    assert income["net_cents"] == month.income + commissions - pay
    courier_statement = client.get(
        f"/api/v1/ops/statements?party=courier:{courier}", headers=operator
    ).json()
    debit, credit = _account(balance, f"courier:{courier}")
    assert courier_statement["net_cents"] == credit - debit, "shift pay and tips"
    # Every order handed over was paid: the customer owes nothing.
    customer_debit, customer_credit = next(
        (a["debit_cents"], a["credit_cents"])
        for a in balance["accounts"]
        if a["account"].startswith("customer:")
    )
    assert customer_debit == customer_credit > 0
