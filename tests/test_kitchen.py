"""Kitchen controls: the ticket state machine, pause and busy mode, dishes."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from tests.accounts import dish_id, headers_for
from tests.test_orders import customer, place  # noqa: F401  (fixture)
from tests.test_quotes import cart


@pytest.fixture
def pho(session: Session, settings: Settings, clock: FixedClock) -> dict[str, str]:
    return headers_for(session, settings, clock, "kitchen-pho-turenne@chaud.demo")


@pytest.fixture
def ticket(client: TestClient, session: Session, customer: dict[str, str]) -> dict[str, Any]:  # noqa: F811
    order = place(client, customer, cart(session, ("pho-turenne", "Nems (4)", 2)), "k").json()
    return dict(order["tickets"][0]) | {"order_id": order["id"]}


def act(client: TestClient, headers: dict[str, str], ticket_id: int, action: str) -> Any:
    return client.post(f"/api/v1/kitchen/tickets/{ticket_id}/{action}", headers=headers)


def test_a_ticket_goes_from_new_to_ready(
    client: TestClient,
    pho: dict[str, str],
    ticket: dict[str, Any],
    customer: dict[str, str],  # noqa: F811
) -> None:
    listed = client.get("/api/v1/kitchen/tickets", params={"status": "new"}, headers=pho).json()
    assert [t["id"] for t in listed] == [ticket["id"]]
    assert listed[0]["lines"][0] == {
        "dish_id": listed[0]["lines"][0]["dish_id"],
        "dish_name": "Nems (4)",
        "quantity": 2,
        "note": "",
        "allergens": ["gluten", "eggs", "soy"],
        "station": "fryer",
    }
    for action, status in (("accept", "accepted"), ("start", "preparing"), ("ready", "ready")):
        response = act(client, pho, ticket["id"], action)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    order = client.get(f"/api/v1/orders/{ticket['order_id']}", headers=customer).json()
    assert order["status"] == "in_preparation"
    recalled = act(client, pho, ticket["id"], "recall")
    assert recalled.json()["status"] == "preparing"


@pytest.mark.parametrize(("action", "status"), [("ready", "new"), ("recall", "new")])
def test_illegal_moves_are_409_with_the_current_state(
    client: TestClient, pho: dict[str, str], ticket: dict[str, Any], action: str, status: str
) -> None:
    response = act(client, pho, ticket["id"], action)
    assert response.status_code == 409
    assert response.json()["detail"]["current_status"] == status


def test_accepting_twice_is_409(
    client: TestClient, pho: dict[str, str], ticket: dict[str, Any]
) -> None:
    assert act(client, pho, ticket["id"], "accept").status_code == 200
    second = act(client, pho, ticket["id"], "accept")
    assert second.status_code == 409
    assert second.json()["detail"] == {
        "reason": "cannot accept a ticket that is accepted",
        "current_status": "accepted",
    }


def test_another_kitchens_ticket_is_404(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    ticket: dict[str, Any],
) -> None:
    other = headers_for(session, settings, clock, "kitchen-comptoir-oberkampf@chaud.demo")
    assert act(client, other, ticket["id"], "accept").status_code == 404
    assert client.get("/api/v1/kitchen/tickets", headers=other).json() == []


def test_refusing_needs_a_reason(
    client: TestClient, pho: dict[str, str], ticket: dict[str, Any]
) -> None:
    response = client.post(f"/api/v1/kitchen/tickets/{ticket['id']}/refuse", json={}, headers=pho)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.reason"


def test_pausing_stops_new_orders(
    client: TestClient, session: Session, pho: dict[str, str]
) -> None:
    response = client.patch("/api/v1/kitchen/restaurant", json={"paused": True}, headers=pho)
    assert response.status_code == 200
    assert response.json()["paused"] is True
    quote = client.post("/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1)))
    assert quote.status_code == 422


def test_busy_mode_adds_minutes_to_the_estimate(
    client: TestClient, session: Session, pho: dict[str, str]
) -> None:
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    before = client.post("/api/v1/quotes", json=body).json()["restaurants"][0]["prep_minutes"]
    client.patch("/api/v1/kitchen/restaurant", json={"busy_extra_minutes": 15}, headers=pho)
    after = client.post("/api/v1/quotes", json=body).json()["restaurants"][0]["prep_minutes"]
    assert after == before + 15


def test_a_kitchen_sets_portions_and_availability(
    client: TestClient, session: Session, pho: dict[str, str]
) -> None:
    nems = dish_id(session, "pho-turenne", "Nems (4)")
    response = client.patch(
        f"/api/v1/kitchen/dishes/{nems}", json={"portions_left": 2}, headers=pho
    )
    assert response.status_code == 200
    assert response.json()["portions_left"] == 2
    quote = client.post("/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 3)))
    assert quote.status_code == 422
    sold_out = client.patch(
        f"/api/v1/kitchen/dishes/{nems}", json={"available": False}, headers=pho
    )
    assert sold_out.json()["available"] is False
    unlimited = client.patch(
        f"/api/v1/kitchen/dishes/{nems}",
        json={"available": True, "portions_left": None},
        headers=pho,
    )
    assert unlimited.json()["portions_left"] is None


def test_another_kitchens_dish_is_404(
    client: TestClient, session: Session, pho: dict[str, str]
) -> None:
    steak = dish_id(session, "comptoir-oberkampf", "Steak frites")
    response = client.patch(
        f"/api/v1/kitchen/dishes/{steak}", json={"available": False}, headers=pho
    )
    assert response.status_code == 404
