"""Refunds after the handover, charged to whoever was at fault, each with a credit note;
invoices and credit notes numbered without a gap and never changed."""

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import FixedClock
from api.models import Document, DocumentKind
from api.services import documents
from api.settings import Settings
from tests.accounts import restaurant_id
from tests.test_ledger import _account, _balance, _deliver, _operator
from tests.test_orders import customer, place, two_kitchen_cart  # noqa: F401


def _refund(
    client: TestClient, operator: dict[str, str], order_id: int, **body: Any
) -> tuple[int, Any]:
    answer = client.post(
        f"/api/v1/ops/orders/{order_id}/refund",
        json={"reason": "cold phở", **body},
        headers=operator,
    )
    return answer.status_code, answer.json()


def test_a_kitchens_mistake_is_refunded_at_its_cost_with_a_credit_note(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    first = place(client, customer, two_kitchen_cart(session), "r1").json()
    second = place(client, customer, two_kitchen_cart(session), "r2").json()
    for order in (first, second):
        _deliver(session, order["id"], clock)
    receipts = [
        client.get(f"/api/v1/orders/{o['id']}/receipt", headers=customer).json()
        for o in (first, second)
    ]
    assert receipts[1]["invoice_number"] == receipts[0]["invoice_number"] + 1, "no gap"

    pho = restaurant_id(session, "pho-turenne")
    status, result = _refund(
        client, operator, first["id"], amount_cents=500, fault="kitchen", restaurant_id=pho
    )
    assert status == 200, result
    assert result["charged_to"] == f"kitchen:{pho}"
    balance = _balance(client, operator)
    assert balance["balanced"]
    receipt = client.get(f"/api/v1/orders/{first['id']}/receipt", headers=customer).json()
    assert receipt["refunded_cents"] == 500
    [note] = receipt["credit_notes"]
    assert (note["number"], note["total_cents"], note["fault"]) == (
        result["credit_note_number"],
        500,
        "kitchen",
    )
    # The credit note reduces the sale, each rate in proportion: the VAT inside goes back
    # from the VAT collected, the kitchen bears the rest.
    assert sum(v["total_cents"] for v in note["vat_lines"]) == 500
    assert {v["rate_pct"] for v in note["vat_lines"]} == {
        v["rate_pct"] for v in receipt["vat_lines"]
    }
    vat_back = sum(v["vat_cents"] for v in note["vat_lines"])
    assert vat_back > 0
    assert _account(balance, "vat:collected")[0] == vat_back
    statement = client.get(f"/api/v1/ops/statements?party=kitchen:{pho}", headers=operator).json()
    assert statement["refunds_cents"] == 500 - vat_back
    debit, credit = _account(balance, f"kitchen:{pho}")
    assert statement["net_cents"] == credit - debit
    page = client.get(f"/api/v1/orders/{first['id']}/receipt?format=html", headers=customer)
    assert f"Credit note no. {note['number']}" in page.text
    assert "VAT at 10.0 % on" in page.text

    # The alliance pays a second gesture (its reason as long as a reason may be); the order's
    # total is the most that goes back.
    status, result = _refund(
        client, operator, first["id"], amount_cents=300, fault="alliance", reason="x" * 200
    )
    assert (status, result["charged_to"]) == (200, "alliance:refunds")
    assert result["credit_note_number"] == note["number"] + 1
    debit, _ = _account(_balance(client, operator), "alliance:refunds")
    gesture = client.get(f"/api/v1/orders/{first['id']}/receipt", headers=customer).json()
    assert debit == 300 - sum(v["vat_cents"] for v in gesture["credit_notes"][1]["vat_lines"])
    status, problem = _refund(
        client, operator, first["id"], amount_cents=first["total_cents"], fault="alliance"
    )
    assert status == 422
    assert problem["detail"][0]["field"] == "amount_cents"


def test_what_cannot_be_refunded_is_said(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = _operator(session, settings, clock)
    order = place(client, customer, two_kitchen_cart(session), "x").json()
    status, problem = _refund(client, operator, order["id"], amount_cents=100, fault="alliance")
    assert status == 409, "not handed over: cancel it instead"
    _deliver(session, order["id"], clock)
    for body, field in (
        ({"fault": "customer"}, "fault"),
        ({"fault": "kitchen", "restaurant_id": 99999}, "restaurant_id"),
        ({"fault": "courier"}, "fault"),  # handed over with no courier's stop
    ):
        status, problem = _refund(client, operator, order["id"], amount_cents=100, **body)
        assert (status, problem["detail"][0]["field"]) == (422, field)


def test_a_number_taken_by_a_rolled_back_document_is_given_back(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "n").json()
    savepoint = session.begin_nested()
    documents.issue(session, DocumentKind.CREDIT_NOTE, order["id"], 1, {}, clock.now())
    savepoint.rollback()
    again = documents.issue(session, DocumentKind.CREDIT_NOTE, order["id"], 1, {}, clock.now())
    numbers = session.exec(
        select(Document.number).where(Document.kind == DocumentKind.CREDIT_NOTE)
    ).all()
    assert sorted(numbers) == list(range(1, again.number + 1)), "1, 2, 3… with no hole"
    table = Document.__table__  # type: ignore[attr-defined]
    with pytest.raises(sa.exc.DBAPIError, match="never changed"), session.begin_nested():
        session.execute(sa.update(table).where(table.c.id == again.id).values(total_cents=2))


def test_refunds_never_give_back_more_at_a_rate_than_it_charged(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    """Refunded in three goes down to the last cent, by three parties: at each VAT rate the
    credit notes give back exactly what the sale charged, VAT included."""
    operator = _operator(session, settings, clock)
    order = place(client, customer, two_kitchen_cart(session), "all").json()
    _deliver(session, order["id"], clock)
    total = order["total_cents"]
    pho = restaurant_id(session, "pho-turenne")
    for amount, fault in (
        (333, {"fault": "kitchen", "restaurant_id": pho}),
        (1001, {"fault": "alliance"}),
    ):
        status, result = _refund(client, operator, order["id"], amount_cents=amount, **fault)
        assert status == 200, result
    status, result = _refund(
        client, operator, order["id"], amount_cents=total - 1334, fault="alliance"
    )
    assert status == 200, result
    receipt = client.get(f"/api/v1/orders/{order['id']}/receipt", headers=customer).json()
    back: dict[float, list[int]] = {}
    for note in receipt["credit_notes"]:
        for v in note["vat_lines"]:
            sums = back.setdefault(v["rate_pct"], [0, 0])
            sums[0] += v["total_cents"]
            sums[1] += v["vat_cents"]
    sold = {v["rate_pct"]: [v["total_cents"], v["vat_cents"]] for v in receipt["vat_lines"]}
    assert {rate: total for rate, (total, _) in back.items()} == {
        rate: total for rate, (total, _) in sold.items()
    }
    # VAT is rounded on each dish line of the sale and on each note's share: half a cent each.
    for rate, (_, vat) in back.items():
        roundings = (
            len(receipt["credit_notes"])
            + 1
            + sum(line["rate_pct"] == rate for part in receipt["parts"] for line in part["lines"])
        )
        assert abs(vat - sold[rate][1]) * 2 <= roundings
    assert _balance(client, operator)["balanced"]
