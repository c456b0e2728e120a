"""Who may call what: every API route, with every role, and other parties' objects.

A route missing from RULES fails the test: a new route must say who may call it.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from tests.accounts import dish_id, headers_for
from tests.test_quotes import cart

PUBLIC = "public"
ANY_ACCOUNT = "any account"
CUSTOMER, KITCHEN, COURIER, OPERATOR = "customer", "kitchen", "courier", "operator"
RELAY = "relay"
ROLES = [CUSTOMER, KITCHEN, COURIER, OPERATOR, RELAY]

RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/api/v1/restaurants"): PUBLIC,
    ("GET", "/api/v1/restaurants/{restaurant_id}/menu"): PUBLIC,
    ("GET", "/api/v1/dishes"): PUBLIC,
    ("GET", "/api/v1/relay-points"): PUBLIC,
    ("GET", "/api/v1/geo/streets"): PUBLIC,
    ("GET", "/api/v1/geo/addresses"): PUBLIC,
    ("GET", "/api/v1/geo/locate"): PUBLIC,
    ("GET", "/api/v1/geo/zone"): PUBLIC,
    ("GET", "/api/v1/geo/streets-map"): PUBLIC,
    ("POST", "/api/v1/quotes"): PUBLIC,
    ("POST", "/api/v1/auth/signup"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/me"): ANY_ACCOUNT,
    ("GET", "/api/v1/me/addresses"): CUSTOMER,
    ("GET", "/api/v1/me/preferences"): CUSTOMER,
    ("PATCH", "/api/v1/me/preferences"): CUSTOMER,
    ("POST", "/api/v1/me/addresses"): CUSTOMER,
    ("DELETE", "/api/v1/me/addresses/{address_id}"): CUSTOMER,
    ("POST", "/api/v1/orders"): CUSTOMER,
    ("GET", "/api/v1/orders"): CUSTOMER,
    ("GET", "/api/v1/orders/{order_id}"): CUSTOMER,
    ("GET", "/api/v1/orders/{order_id}/receipt"): CUSTOMER,
    ("POST", "/api/v1/orders/{order_id}/cancel"): CUSTOMER,
    ("GET", "/api/v1/kitchen/tickets"): KITCHEN,
    ("POST", "/api/v1/kitchen/tickets/{ticket_id}/accept"): KITCHEN,
    ("POST", "/api/v1/kitchen/tickets/{ticket_id}/refuse"): KITCHEN,
    ("POST", "/api/v1/kitchen/tickets/{ticket_id}/start"): KITCHEN,
    ("POST", "/api/v1/kitchen/tickets/{ticket_id}/ready"): KITCHEN,
    ("POST", "/api/v1/kitchen/tickets/{ticket_id}/recall"): KITCHEN,
    ("GET", "/api/v1/kitchen/restaurant"): KITCHEN,
    ("GET", "/api/v1/kitchen/statement"): KITCHEN,
    ("PATCH", "/api/v1/kitchen/restaurant"): KITCHEN,
    ("PATCH", "/api/v1/kitchen/dishes/{dish_id}"): KITCHEN,
    ("POST", "/api/v1/courier/shift/start"): COURIER,
    ("POST", "/api/v1/courier/shift/end"): COURIER,
    ("GET", "/api/v1/courier/shift"): COURIER,
    ("GET", "/api/v1/courier/shifts"): COURIER,
    ("GET", "/api/v1/courier/statement"): COURIER,
    ("POST", "/api/v1/courier/position"): COURIER,
    ("GET", "/api/v1/courier/round"): COURIER,
    ("POST", "/api/v1/courier/stops/{stop_id}/arrived"): COURIER,
    ("POST", "/api/v1/courier/stops/{stop_id}/done"): COURIER,
    ("GET", "/api/v1/relay/parcels"): RELAY,
    ("POST", "/api/v1/relay/parcels/{order_id}/received"): RELAY,
    ("POST", "/api/v1/relay/parcels/{order_id}/collected"): RELAY,
    ("POST", "/api/v1/ops/stops/{stop_id}/unlock-code"): OPERATOR,
    ("GET", "/api/v1/ops/board"): OPERATOR,
    ("GET", "/api/v1/ops/pool"): OPERATOR,
    ("GET", "/api/v1/ops/income"): OPERATOR,
    ("GET", "/api/v1/ops/exports/fec"): OPERATOR,
    ("GET", "/api/v1/ops/statements"): OPERATOR,
    ("GET", "/api/v1/ops/ledger/trial-balance"): OPERATOR,
    ("GET", "/api/v1/ops/audit"): OPERATOR,
    ("POST", "/api/v1/ops/orders/{order_id}/assign"): OPERATOR,
    ("POST", "/api/v1/ops/orders/{order_id}/unpin"): OPERATOR,
    ("POST", "/api/v1/ops/orders/{order_id}/cancel"): OPERATOR,
    ("POST", "/api/v1/ops/orders/{order_id}/refund"): OPERATOR,
    ("GET", "/api/v1/ops/orders/{order_id}/receipt"): OPERATOR,
    ("POST", "/api/v1/ops/orders/{order_id}/tickets/{ticket_id}/cancel"): OPERATOR,
    ("POST", "/api/v1/ops/couriers/{courier_id}/move-stops"): OPERATOR,
    ("POST", "/api/v1/ops/couriers/{courier_id}/end-shift"): OPERATOR,
    ("POST", "/api/v1/ops/kitchens/{restaurant_id}/pace"): OPERATOR,
    ("GET", "/api/v1/ops/restaurants"): OPERATOR,
    ("POST", "/api/v1/ops/restaurants"): OPERATOR,
    ("GET", "/api/v1/ops/restaurants/{restaurant_id}"): OPERATOR,
    ("PATCH", "/api/v1/ops/restaurants/{restaurant_id}"): OPERATOR,
    ("PUT", "/api/v1/ops/restaurants/{restaurant_id}/hours"): OPERATOR,
    ("POST", "/api/v1/ops/restaurants/{restaurant_id}/exceptions"): OPERATOR,
    ("DELETE", "/api/v1/ops/restaurants/{restaurant_id}/exceptions/{exception_id}"): OPERATOR,
    ("GET", "/api/v1/ops/restaurants/{restaurant_id}/dishes"): OPERATOR,
    ("POST", "/api/v1/ops/restaurants/{restaurant_id}/dishes"): OPERATOR,
    ("PATCH", "/api/v1/ops/restaurants/{restaurant_id}/dishes/{dish_id}"): OPERATOR,
    ("GET", "/api/v1/ops/restaurants/{restaurant_id}/menu.csv"): OPERATOR,
    ("POST", "/api/v1/ops/restaurants/{restaurant_id}/menu.csv"): OPERATOR,
    ("GET", "/api/v1/ops/people"): OPERATOR,
    ("POST", "/api/v1/ops/people"): OPERATOR,
    ("POST", "/api/v1/ops/people/{user_id}/deactivate"): OPERATOR,
    ("POST", "/api/v1/ops/people/{user_id}/password-link"): OPERATOR,
    ("PATCH", "/api/v1/ops/couriers/{courier_id}"): OPERATOR,
    ("GET", "/api/v1/ops/couriers/{courier_id}/roster"): OPERATOR,
    ("PUT", "/api/v1/ops/couriers/{courier_id}/roster"): OPERATOR,
    ("GET", "/api/v1/kitchen/dishes"): KITCHEN,
    ("POST", "/api/v1/kitchen/dishes"): KITCHEN,
    ("GET", "/api/v1/kitchen/menu.csv"): KITCHEN,
    ("POST", "/api/v1/kitchen/menu.csv"): KITCHEN,
    ("POST", "/api/v1/auth/password"): PUBLIC,
    ("GET", "/api/v1/ops/reports"): OPERATOR,
    ("GET", "/api/v1/ops/reports/orders.csv"): OPERATOR,
}

ACCOUNTS = {
    CUSTOMER: "customer@chaud.demo",
    KITCHEN: "kitchen-pho-turenne@chaud.demo",
    COURIER: "courier-1@chaud.demo",
    OPERATOR: "operator@chaud.demo",
    RELAY: "relay-tabac-du-temple@chaud.demo",
}
BODIES: dict[str, Any] = {
    "/api/v1/courier/shift/start": {"lat": 48.8646, "lon": 2.3700},
    "/api/v1/courier/position": {"lat": 48.8646, "lon": 2.3700},
    "/api/v1/kitchen/tickets/{ticket_id}/refuse": {"reason": "test"},
    "/api/v1/relay/parcels/{order_id}/collected": {"code": "123456"},
    "/api/v1/ops/orders/{order_id}/assign": {"courier_id": 1, "reason": "test"},
    "/api/v1/ops/orders/{order_id}/unpin": {"reason": "test"},
    "/api/v1/ops/orders/{order_id}/cancel": {"reason": "test", "fault": "alliance"},
    "/api/v1/ops/orders/{order_id}/tickets/{ticket_id}/cancel": {
        "reason": "test",
        "fault": "kitchen",
    },
    "/api/v1/ops/couriers/{courier_id}/move-stops": {"to_courier_id": 1, "reason": "test"},
    "/api/v1/ops/couriers/{courier_id}/end-shift": {"reason": "test"},
    "/api/v1/ops/kitchens/{restaurant_id}/pace": {"busy_extra_minutes": 5, "reason": "test"},
    "/api/v1/me/addresses": {
        "label": "X",
        "address": "Rue Oberkampf",
        "lat": 48.8648,
        "lon": 2.3734,
    },
}


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every operation the API documents (what a client can discover and call)."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_every_route_has_an_access_rule(client: TestClient) -> None:
    assert api_routes(client) == set(RULES)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.format(
        restaurant_id=1,
        address_id=999_999,
        order_id=999_999,
        ticket_id=999_999,
        dish_id=999_999,
        stop_id=999_999,
        courier_id=999_999,
        exception_id=999_999,
        user_id=999_999,
    )
    body = BODIES.get(path, {})
    if method == "GET" or method == "DELETE":
        return client.request(method, url, headers=headers).status_code
    if path == "/api/v1/auth/token":
        return client.post(
            url, data={"username": ACCOUNTS[CUSTOMER], "password": "chaud-demo"}
        ).status_code
    return client.request(
        method, url, json=body, headers={**headers, "Idempotency-Key": "k"}
    ).status_code


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_reaches_only_its_routes(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock, role: str | None
) -> None:
    headers = headers_for(session, settings, clock, ACCOUNTS[role]) if role else {}
    wrong = []
    for (method, path), rule in sorted(RULES.items()):
        status = _call(client, method, path, headers)
        allowed = rule == PUBLIC or (role is not None and rule in (ANY_ACCOUNT, role))
        expected_refusal = 401 if role is None else 403
        if (allowed and status in (401, 403)) or (not allowed and status != expected_refusal):
            wrong.append((method, path, status))
    assert wrong == []


def test_other_parties_objects_answer_404(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    customer = headers_for(session, settings, clock, ACCOUNTS[CUSTOMER])
    order = client.post(
        "/api/v1/orders",
        json=cart(session, ("pho-turenne", "Nems (4)", 1)),
        headers={**customer, "Idempotency-Key": "mine"},
    ).json()
    address = client.get("/api/v1/me/addresses", headers=customer).json()[0]
    client.post(
        "/api/v1/auth/signup",
        json={"email": "eve@example.org", "password": "long enough", "name": "Eve"},
    )
    eve = headers_for(session, settings, clock, "eve@example.org")
    other_kitchen = headers_for(session, settings, clock, "kitchen-comptoir-oberkampf@chaud.demo")
    ticket, dish = order["tickets"][0]["id"], dish_id(session, "pho-turenne", "Nems (4)")
    foreign = [
        (eve, "GET", f"/api/v1/orders/{order['id']}"),
        (eve, "GET", f"/api/v1/orders/{order['id']}/receipt"),
        (eve, "GET", f"/api/v1/orders/{order['id']}/receipt?format=pdf"),
        (eve, "POST", f"/api/v1/orders/{order['id']}/cancel"),
        (eve, "DELETE", f"/api/v1/me/addresses/{address['id']}"),
        *[
            (other_kitchen, "POST", f"/api/v1/kitchen/tickets/{ticket}/{a}")
            for a in ("accept", "start", "ready", "recall")
        ],
        (other_kitchen, "POST", f"/api/v1/kitchen/tickets/{ticket}/refuse"),
        (other_kitchen, "PATCH", f"/api/v1/kitchen/dishes/{dish}"),
    ]
    statuses = [
        client.request(
            method, url, headers=headers, json={"reason": "x"} if "refuse" in url else {}
        ).status_code
        for headers, method, url in foreign
    ]
    assert statuses == [404] * len(foreign)
