"""The journal: a handed-over order is a sale and its commissions, balanced to the cent, never
changed afterwards."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.models import (
    DestinationKind,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    Restaurant,
    Ticket,
    TicketStatus,
)
from api.services import ledger
from api.services.orders import mark_delivered
from api.services.vat import STANDARD_RATE_BP, share_of, vat_in
from api.settings import Settings
from tests.accounts import headers_for, restaurant_id
from tests.test_orders import (  # noqa: F401
    customer,
    kitchen,
    pho_refuses,
    place,
    ticket_of,
    two_kitchen_cart,
)
from tests.test_quotes import cart


def _operator(session: Session, settings: Settings, clock: FixedClock) -> dict[str, str]:
    return headers_for(session, settings, clock, "operator@chaud.demo")


def _deliver(session: Session, order_id: int, clock: FixedClock) -> None:
    """Hand the order over as the courier's last stop does (orders.mark_delivered)."""
    order = session.get(Order, order_id)
    assert order is not None
    mark_delivered(session, order, clock.now())
    session.commit()


def _balance(client: TestClient, headers: dict[str, str], **period: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in period.items())
    response = client.get(f"/api/v1/ops/ledger/trial-balance?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _account(balance: dict[str, Any], name: str) -> tuple[int, int]:
    row = next((a for a in balance["accounts"] if a["account"] == name), None)
    return (row["debit_cents"], row["credit_cents"]) if row else (0, 0)


def test_a_delivered_order_is_a_sale_and_a_commission_that_balance(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    comptoir = restaurant_id(session, "comptoir-oberkampf")
    contract = {"commission_bp": 1500, "commission_fixed_cents": 50}
    edited = client.patch(f"/api/v1/ops/restaurants/{comptoir}", json=contract, headers=operator)
    assert edited.status_code == 200, edited.text
    assert edited.json()["commission_bp"] == 1500
    order = place(client, customer, two_kitchen_cart(session), "sale").json()
    assert _balance(client, operator)["accounts"] == [], "nothing is owed before the handover"
    _deliver(session, order["id"], clock)

    balance = _balance(client, operator)
    assert balance["balanced"]
    assert balance["debit_cents"] == balance["credit_cents"]
    customer_id = session.get(Order, order["id"]).customer_id  # type: ignore[union-attr]
    assert _account(balance, f"customer:{customer_id}") == (order["total_cents"], 0)
    # Steak frites 19,50 € at 10 %: 1,77 € of VAT, 17,73 € for the kitchen before VAT; its
    # commission 15 % of that (2,66 €) plus 0,50 €, and 20 % VAT on it (0,63 €).
    steak_base = 1950 - vat_in(1950, 1000)
    commission = share_of(steak_base, 1500) + 50
    assert (steak_base, commission) == (1773, 316)
    assert _account(balance, f"kitchen:{comptoir}") == (316 + 63, 1773)
    assert _account(balance, "alliance:commission") == (0, 316)
    pho = restaurant_id(session, "pho-turenne")
    assert _account(balance, f"kitchen:{pho}") == (0, 2700 - vat_in(2700, 1000))
    fee = order["delivery_fee_cents"]
    assert _account(balance, "alliance:fees") == (0, fee - vat_in(fee, 2000))
    vat = vat_in(1950, 1000) + vat_in(2700, 1000) + vat_in(fee, 2000) + 63
    assert _account(balance, "vat:collected") == (0, vat)
    # The period: the day it was delivered holds it, the day before nothing.
    today = clock.now().date()
    assert _balance(client, operator, **{"from": str(today), "to": str(today)}) == balance
    yesterday = str(today - timedelta(days=1))
    assert _balance(client, operator, **{"from": yesterday, "to": yesterday})["accounts"] == []


def test_a_refused_part_is_no_sale_of_its_kitchen(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "half").json()
    pho_refuses(client, session, settings, clock, order)
    _deliver(session, order["id"], clock)
    balance = _balance(client, _operator(session, settings, clock))
    assert balance["balanced"]
    assert _account(balance, f"kitchen:{restaurant_id(session, 'pho-turenne')}") == (0, 0)
    customer_id = session.get(Order, order["id"]).customer_id  # type: ignore[union-attr]
    assert _account(balance, f"customer:{customer_id}") == (1950 + 290, 0)


def test_an_entry_is_never_changed_nor_deleted(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "frozen").json()
    _deliver(session, order["id"], clock)
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order["id"])).first()
    assert entry is not None
    table = LedgerEntry.__table__  # type: ignore[attr-defined]
    for statement in (
        sa.update(table).where(table.c.id == entry.id).values(debit_cents=1),
        sa.delete(table).where(table.c.id == entry.id),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="never changed"), session.begin_nested():
            session.execute(statement)


def test_an_unbalanced_transaction_is_refused_and_writes_nothing(
    session: Session, clock: FixedClock
) -> None:
    with pytest.raises(ledger.Unbalanced):
        ledger.post(session, LedgerKind.ADJUSTMENT, [("alliance:fees", 100)], clock.now())
    assert session.exec(select(LedgerEntry).where(col(LedgerEntry.memo) == "")).all() == []


LINE = st.tuples(
    st.integers(0, 2), st.sampled_from([550, 1000, 2000]), st.integers(0, 5000), st.integers(1, 5)
)


@given(
    st.lists(LINE, min_size=1, max_size=8),
    st.sets(st.integers(0, 2)),
    st.integers(0, 2000),
    st.sampled_from([0, 550, 2000]),
    st.integers(0, 5000),
    st.sampled_from([None, 4]),
)
def test_a_sale_always_balances_and_charges_the_customer_its_total(
    lines: list[tuple[int, int, int, int]],
    refused: set[int],
    fee: int,
    fee_rate: int,
    tip: int,
    courier: int | None,
) -> None:
    """Any lines over three kitchens, any of them refused, any fee, any tip: the sale's legs
    sum to zero, the customer owes what the order charges and its tip, the courier the tip."""
    tickets = [
        Ticket(
            id=k,
            order_id=1,
            restaurant_id=10 + k,
            subtotal_cents=0,
            prep_minutes=1,
            status=TicketStatus.REFUSED if k in refused else TicketStatus.READY,
        )
        for k in range(3)
    ]
    order_lines = [
        OrderLine(
            order_id=1,
            ticket_id=k,
            dish_id=1,
            dish_name="dish",
            unit_price_cents=price,
            quantity=quantity,
            vat_rate_bp=rate,
        )
        for k, rate, price, quantity in lines
    ]
    subtotal = sum(
        line.unit_price_cents * line.quantity
        for line in order_lines
        if line.ticket_id not in refused
    )
    order = Order(
        customer_id=7,
        total_cents=subtotal + fee,
        subtotal_cents=subtotal,
        delivery_fee_cents=fee,
        fee_vat_rate_bp=fee_rate,
        tip_cents=tip,
        lat=0,
        lon=0,
        destination_kind=DestinationKind.ADDRESS,
        promised_at=datetime(2026, 12, 4, 20, tzinfo=UTC),
    )
    legs = ledger.sale_legs(order, tickets, order_lines, courier)
    assert sum(cents for _, cents in legs) == 0
    assert ("customer:7", subtotal + fee + tip) in legs
    assert ("courier:4" if courier else ledger.TIPS_HELD, -tip) in legs, "all of the tip"
    assert all(account != f"kitchen:{10 + k}" for account, _ in legs for k in refused)


DISHES = (
    ("comptoir-oberkampf", "Steak frites"),
    ("pho-turenne", "Phở bò"),
    ("creperie-bretagne", "Galette complète"),
)


class Evening(RuleBasedStateMachine):
    """Orders placed with or without a tip, parts refused, orders cancelled, handed over and
    refunded at a kitchen's or the alliance's cost, in any order. After every step the journal
    balances, and replaying the steps from the documents the customer holds (each receipt's
    parts and fee, each credit note) by the stated rules rebuilds every account's balance."""

    def __init__(self, world: "World") -> None:
        super().__init__()
        self.world = world
        self.open: list[int] = []
        # This run's orders only: the journal and the model of it run on across runs, but what
        # a run draws from must not, or Hypothesis cannot replay it.
        self.handed_over: list[int] = []

    @rule(
        picks=st.sets(st.sampled_from(DISHES), min_size=1, max_size=2),
        tip=st.sampled_from([0, 0, 100, 300]),
    )
    def place(self, picks: set[tuple[str, str]], tip: int) -> None:
        w = self.world
        body = cart(w.session, *((slug, name, 1) for slug, name in sorted(picks)), tip_cents=tip)
        w.keys += 1
        response = place(w.client, w.customer, body, f"evening-{w.keys}")
        assert response.status_code == 201, response.text
        self.open.append(response.json()["id"])

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def refuse_a_part(self, data: st.DataObject) -> None:
        w = self.world
        order_id = data.draw(st.sampled_from(self.open))
        order = w.client.get(f"/api/v1/orders/{order_id}", headers=w.customer).json()
        live = [t for t in order["tickets"] if t["status"] in ("new", "accepted")]
        if not live:
            return
        ticket = data.draw(st.sampled_from(live))
        slug = {"Le Comptoir d'Oberkampf": "comptoir-oberkampf", "Phở Turenne": "pho-turenne"}
        headers = w.kitchens[slug.get(ticket["restaurant_name"], "creperie-bretagne")]
        response = w.client.post(
            f"/api/v1/kitchen/tickets/{ticket['id']}/refuse",
            json={"reason": "out of it"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        if len(live) == 1:
            self.open.remove(order_id)  # nothing left: cancelled

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        w = self.world
        order_id = data.draw(st.sampled_from(self.open))
        response = w.client.post(f"/api/v1/orders/{order_id}/cancel", headers=w.customer)
        assert response.status_code == 200, response.text
        self.open.remove(order_id)

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        w = self.world
        order_id = data.draw(st.sampled_from(self.open))
        _deliver(w.session, order_id, w.clock)
        self.open.remove(order_id)
        self.handed_over.append(order_id)
        w.replay_sale(w.receipt(order_id))

    @precondition(lambda self: bool(self.handed_over))
    @rule(data=st.data(), share=st.sampled_from([1, 10, 50]), at_kitchen=st.booleans())
    def refund(self, data: st.DataObject, share: int, at_kitchen: bool) -> None:
        w = self.world
        order_id = data.draw(st.sampled_from(self.handed_over))
        receipt = w.receipt(order_id)
        amount = max(1, receipt["total_cents"] * share // 100)
        charged = [p["restaurant_id"] for p in receipt["parts"] if p["charged"]]
        body: dict[str, Any] = {"amount_cents": amount, "fault": "alliance", "reason": "late"}
        if at_kitchen and charged:
            body |= {"fault": "kitchen", "restaurant_id": data.draw(st.sampled_from(charged))}
        response = w.client.post(
            f"/api/v1/ops/orders/{order_id}/refund", json=body, headers=w.operator
        )
        left = receipt["total_cents"] - sum(n["total_cents"] for n in receipt["credit_notes"])
        if amount > left:
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 200, response.text
        note = w.receipt(order_id)["credit_notes"][-1]
        at_fault = f"kitchen:{body['restaurant_id']}" if "restaurant_id" in body else None
        w.replay_refund(note, at_fault or ledger.ALLIANCE_REFUNDS)

    @invariant()
    def replaying_the_steps_rebuilds_every_balance(self) -> None:
        w = self.world
        balance = _balance(w.client, w.operator)
        assert balance["balanced"]
        journal = {a["account"]: a["credit_cents"] - a["debit_cents"] for a in balance["accounts"]}
        journal = {account: net for account, net in journal.items() if net}
        expected = {account: net for account, net in w.expected.items() if net}
        assert journal == expected


@dataclass
class World:
    client: TestClient
    session: Session
    clock: FixedClock
    customer: dict[str, str]
    operator: dict[str, str]
    kitchens: dict[str, dict[str, str]]
    customer_id: int
    contracts: dict[int, ledger.Contract]
    keys: int = 0
    expected: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Each account's credits less its debits, as the replayed steps make them."""

    def receipt(self, order_id: int) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/orders/{order_id}/receipt", headers=self.customer)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def replay_sale(self, receipt: dict[str, Any]) -> None:
        """A sale from its receipt: the customer owes the total and the tip, which is held for
        the courier; each charged part's base goes to its kitchen less the commission of its
        contract and that commission's VAT; the fee's base to the alliance; VAT to the state."""
        e = self.expected
        e[f"customer:{self.customer_id}"] -= receipt["total_cents"] + receipt["tip_cents"]
        e[ledger.TIPS_HELD] += receipt["tip_cents"]
        e[ledger.VAT_COLLECTED] += sum(v["vat_cents"] for v in receipt["vat_lines"])
        for part in receipt["parts"]:
            if not part["charged"]:
                continue
            base = sum(v["base_cents"] for v in part["vat_lines"])
            commission = self.contracts[part["restaurant_id"]].commission(base)
            commission_vat = share_of(commission, STANDARD_RATE_BP)
            e[f"kitchen:{part['restaurant_id']}"] += base - commission - commission_vat
            e[ledger.ALLIANCE_COMMISSION] += commission
            e[ledger.VAT_COLLECTED] += commission_vat
        fee_rate = round(receipt["delivery_fee_rate_pct"] * 100)
        fee = receipt["delivery_fee_cents"]
        e[ledger.ALLIANCE_FEES] += fee - vat_in(fee, fee_rate)

    def replay_refund(self, note: dict[str, Any], at_fault: str) -> None:
        """A credit note: the customer is owed it back, the VAT inside goes back from the VAT
        collected, the party at fault bears the rest."""
        vat = sum(v["vat_cents"] for v in note["vat_lines"])
        self.expected[f"customer:{self.customer_id}"] += note["total_cents"]
        self.expected[ledger.VAT_COLLECTED] -= vat
        self.expected[at_fault] -= note["total_cents"] - vat


def test_an_evening_of_orders_keeps_the_journal_balanced(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    for slug, bp in (("comptoir-oberkampf", 1500), ("pho-turenne", 1200)):
        rid = restaurant_id(session, slug)
        contract = {"commission_bp": bp, "commission_fixed_cents": 30}
        assert client.patch(
            f"/api/v1/ops/restaurants/{rid}", json=contract, headers=operator
        ).is_success
    me = client.get("/api/v1/me", headers=customer).json()
    world = World(
        client,
        session,
        clock,
        customer,
        operator,
        {slug: kitchen(session, settings, clock, slug) for slug, _ in DISHES},
        me["id"],
        {
            r.id: ledger.Contract(r.commission_bp, r.commission_fixed_cents)
            for r in session.exec(select(Restaurant)).all()
            if r.id is not None
        },
    )

    class Tonight(Evening):
        def __init__(self) -> None:
            super().__init__(world)

    run_state_machine_as_test(
        Tonight,
        settings=hypothesis.settings(
            max_examples=12,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        ),
    )


def test_the_tip_is_all_the_couriers(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    body = {**two_kitchen_cart(session), "tip_cents": 300}
    quote = client.post("/api/v1/quotes", json=body).json()
    assert quote["tip_cents"] == 300
    assert sum(v["total_cents"] for v in quote["vat_lines"]) == quote["total_cents"], "no VAT"
    order = place(client, customer, body, "tip").json()
    assert order["tip_cents"] == 300
    row = session.get(Order, order["id"])
    assert row is not None
    mark_delivered(session, row, clock.now(), courier_id=4)
    session.commit()
    balance = _balance(client, _operator(session, settings, clock))
    assert balance["balanced"]
    assert _account(balance, "courier:4") == (0, 300)
    assert _account(balance, f"customer:{row.customer_id}") == (order["total_cents"] + 300, 0)
    too_much = client.post("/api/v1/quotes", json={**body, "tip_cents": 5001})
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["field"] == "body.tip_cents"
