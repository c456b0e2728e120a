"""Orders: idempotent placement, tickets and events in one transaction, cancelling."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from api.clock import FixedClock
from api.models import Dish, IdempotencyRecord, Order, OutboxEvent, Ticket, User
from api.settings import Settings
from tests.accounts import dish_id, headers_for, restaurant_id
from tests.test_quotes import cart


@pytest.fixture
def customer(session: Session, settings: Settings, clock: FixedClock) -> dict[str, str]:
    return headers_for(session, settings, clock, "customer@chaud.demo")


def kitchen(session: Session, settings: Settings, clock: FixedClock, slug: str) -> dict[str, str]:
    return headers_for(session, settings, clock, f"kitchen-{slug}@chaud.demo")


def place(client: TestClient, headers: dict[str, str], body: dict[str, Any], key: str) -> Any:
    return client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key})


def ticket_of(session: Session, order: dict[str, Any], slug: str) -> dict[str, Any]:
    """The order's ticket for one kitchen, as the order answer lists it."""
    rid = restaurant_id(session, slug)
    return dict(next(t for t in order["tickets"] if t["restaurant_id"] == rid))


def pho_refuses(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    order: dict[str, Any],
) -> None:
    """Phở Turenne refuses its part of the order (out of rice noodles)."""
    pho = ticket_of(session, order, "pho-turenne")
    refused = client.post(
        f"/api/v1/kitchen/tickets/{pho['id']}/refuse",
        json={"reason": "out of rice noodles"},
        headers=kitchen(session, settings, clock, "pho-turenne"),
    )
    assert refused.status_code == 200, refused.text


def two_kitchen_cart(session: Session) -> dict[str, Any]:
    return cart(session, ("comptoir-oberkampf", "Steak frites", 1), ("pho-turenne", "Phở bò", 2))


def test_an_order_makes_one_ticket_per_kitchen_and_its_events(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    response = place(client, customer, two_kitchen_cart(session), "order-1")
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["total_cents"] == order["subtotal_cents"] + order["delivery_fee_cents"]
    assert order["subtotal_cents"] == 1950 + 2 * 1350
    tickets = {t["restaurant_id"]: t for t in order["tickets"]}
    comptoir, pho = (
        restaurant_id(session, "comptoir-oberkampf"),
        restaurant_id(session, "pho-turenne"),
    )
    assert set(tickets) == {comptoir, pho}
    # Le Comptoir accepts automatically; Phở Turenne decides by hand.
    assert tickets[comptoir]["status"] == "accepted"
    assert tickets[pho]["status"] == "new"
    assert order["status"] == "placed"
    events = session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id))).all()
    kinds = {(e.channel, e.kind) for e in events}
    assert (f"restaurant:{comptoir}", "ticket.created") in kinds
    assert (f"restaurant:{pho}", "ticket.created") in kinds
    assert (f"order:{order['id']}", "order.placed") in kinds
    created = next(e for e in events if e.channel == f"restaurant:{pho}")
    assert created.payload["lines"][0]["allergens"] == ["soy", "celery"]


def test_the_idempotency_key_is_required(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    response = client.post("/api/v1/orders", json=two_kitchen_cart(session), headers=customer)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "header.Idempotency-Key"


def test_the_same_key_and_body_give_the_same_answer_and_one_order(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    first = place(client, customer, two_kitchen_cart(session), "same")
    again = place(client, customer, two_kitchen_cart(session), "same")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert session.exec(select(func.count()).select_from(Order)).one() == 1


def test_the_same_key_with_another_body_is_422(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    place(client, customer, two_kitchen_cart(session), "reused")
    other = place(client, customer, cart(session, ("pho-turenne", "Nems (4)", 1)), "reused")
    assert other.status_code == 422
    assert other.json()["detail"][0]["field"] == "Idempotency-Key"


def test_a_key_still_in_flight_is_409(
    client: TestClient, session: Session, customer: dict[str, str], clock: FixedClock
) -> None:
    from api.schemas.orders import CartRequest
    from api.services.idempotency import request_hash

    body = two_kitchen_cart(session)
    user = session.exec(select(User).where(User.email == "customer@chaud.demo")).one()
    assert user.id is not None
    fingerprint = request_hash(CartRequest.model_validate(body).model_dump(mode="json"))
    session.add(
        IdempotencyRecord(
            user_id=user.id, key="busy", request_hash=fingerprint, created_at=clock.now()
        )
    )
    session.commit()
    response = place(client, customer, body, "busy")
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]


def test_a_failed_order_releases_its_key(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    body = cart(session, ("tartes-mericourt", "Tarte Tatin", 13))
    assert place(client, customer, body, "retry-me").status_code == 422
    assert (
        session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "retry-me")).first()
        is None
    )


def test_orders_take_portions_and_cancelling_returns_them(
    client: TestClient, session: Session, customer: dict[str, str]
) -> None:
    tatin = dish_id(session, "tartes-mericourt", "Tarte Tatin")
    order = place(
        client, customer, cart(session, ("tartes-mericourt", "Tarte Tatin", 3)), "k"
    ).json()
    dish = session.get(Dish, tatin)
    assert dish is not None
    session.refresh(dish)
    assert dish.portions_left == 9
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert {t["status"] for t in cancelled.json()["tickets"]} == {"cancelled"}
    session.refresh(dish)
    assert dish.portions_left == 12


def test_cancelling_after_a_kitchen_started_is_409(
    client: TestClient,
    session: Session,
    customer: dict[str, str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "k").json()
    ticket = ticket_of(session, order, "comptoir-oberkampf")
    started = client.post(
        f"/api/v1/kitchen/tickets/{ticket['id']}/start",
        headers=kitchen(session, settings, clock, "comptoir-oberkampf"),
    )
    assert started.status_code == 200, started.text
    response = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=customer)
    assert response.status_code == 409
    assert response.json()["detail"] == {
        "reason": "a kitchen has already started this order",
        "current_status": "in_preparation",
    }


def test_the_customer_follows_the_order(
    client: TestClient,
    session: Session,
    customer: dict[str, str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "k").json()
    pho = ticket_of(session, order, "pho-turenne")
    pho_kitchen = kitchen(session, settings, clock, "pho-turenne")
    assert (
        client.post(f"/api/v1/kitchen/tickets/{pho['id']}/accept", headers=pho_kitchen).status_code
        == 200
    )
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=customer).json()
    assert seen["status"] == "confirmed"
    assert [entry["status"] for entry in seen["timeline"]] == ["placed", "confirmed"]
    assert seen["estimated_delivery_at"] is not None
    listed = client.get("/api/v1/orders", headers=customer).json()
    assert [o["id"] for o in listed] == [order["id"]]


def test_a_refused_part_leaves_the_rest_at_a_lower_price(
    client: TestClient,
    session: Session,
    customer: dict[str, str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "k").json()
    pho = ticket_of(session, order, "pho-turenne")
    refused = client.post(
        f"/api/v1/kitchen/tickets/{pho['id']}/refuse",
        json={"reason": "out of rice noodles"},
        headers=kitchen(session, settings, clock, "pho-turenne"),
    )
    assert refused.status_code == 200, refused.text
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=customer).json()
    assert seen["status"] != "cancelled"
    assert seen["subtotal_cents"] == 1950
    assert seen["fee"]["extra_restaurants"] == 0
    assert seen["delivery_fee_cents"] == 290
    assert seen["total_cents"] == 1950 + 290
    assert seen["timeline"][-1]["note"] == (
        "Phở Turenne could not prepare its part: out of rice noodles"
    )
    ticket = next(t for t in seen["tickets"] if t["id"] == pho["id"])
    assert ticket["status"] == "refused"
    assert ticket["refuse_reason"] == "out of rice noodles"


def test_an_order_with_nothing_left_is_cancelled(
    client: TestClient,
    session: Session,
    customer: dict[str, str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, cart(session, ("pho-turenne", "Nems (4)", 1)), "k").json()
    ticket = order["tickets"][0]
    client.post(
        f"/api/v1/kitchen/tickets/{ticket['id']}/refuse",
        json={"reason": "closing early"},
        headers=kitchen(session, settings, clock, "pho-turenne"),
    )
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=customer).json()
    assert seen["status"] == "cancelled"
    assert "closing early" in seen["cancel_reason"]


def test_another_customers_order_is_404(
    client: TestClient,
    session: Session,
    customer: dict[str, str],
    settings: Settings,
    clock: FixedClock,
) -> None:
    order = place(client, customer, two_kitchen_cart(session), "k").json()
    stranger = client.post(
        "/api/v1/auth/signup",
        json={"email": "eve@example.org", "password": "long enough", "name": "Eve"},
    )
    assert stranger.status_code == 201
    eve = headers_for(session, settings, clock, "eve@example.org")
    assert client.get(f"/api/v1/orders/{order['id']}", headers=eve).status_code == 404
    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=eve).status_code == 404
    assert client.get("/api/v1/orders", headers=eve).json() == []
    assert session.get(Ticket, order["tickets"][0]["id"]) is not None
