"""Quotes: server prices, the itemised fee, and every reason a cart cannot be delivered."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.models import Dish
from api.services.quotes import NO_COURIER
from tests.accounts import dish_id, only_on_shift
from tests.databases import FRIDAY_EVENING

HOME = {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot, 75003 Paris"}


def cart(session: Session, *picks: tuple[str, str, int], **extra: Any) -> dict[str, Any]:
    lines = [{"dish_id": dish_id(session, slug, name), "quantity": q} for slug, name, q in picks]
    return {"lines": lines, "destination": HOME, **extra}


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    return {p["field"]: p["reason"] for p in body["detail"]}


def test_a_two_kitchen_cart_is_priced_by_the_server(client: TestClient, session: Session) -> None:
    body = cart(
        session,
        ("comptoir-oberkampf", "Steak frites", 2),
        ("pho-turenne", "Phở bò", 1),
    )
    response = client.post("/api/v1/quotes", json=body)
    assert response.status_code == 200, response.text
    quote = response.json()
    assert [line["line_total_cents"] for line in quote["lines"]] == [3900, 1350]
    assert quote["subtotal_cents"] == 5250
    fee = quote["fee"]
    assert fee["base_cents"] == 290
    assert fee["extra_restaurants"] == 1
    assert fee["extra_restaurants_cents"] == 150
    assert fee["extra_distance_m"] > 0
    assert fee["extra_distance_cents"] == round(fee["extra_distance_m"] * 60 / 1000)
    assert quote["delivery_fee_cents"] == 290 + 150 + fee["extra_distance_cents"]
    assert quote["total_cents"] == quote["subtotal_cents"] + quote["delivery_fee_cents"]
    assert {part["restaurant_id"] for part in quote["restaurants"]} == {
        line["restaurant_id"] for line in quote["lines"]
    }
    assert quote["estimated_delivery_at"] > FRIDAY_EVENING.isoformat()


def test_dishes_that_cannot_arrive_hot_together_are_refused(
    client: TestClient, session: Session
) -> None:
    # Collecting from these three kitchens and riding to Rue Charlot takes about 18 min: the
    # falafels keep 15, so that cart is refused; the houmous keeps 25 and goes.
    far_apart = [("bouillon-colette", "Bœuf bourguignon", 1), ("pho-turenne", "Phở bò", 1)]
    fragile = cart(session, *far_apart, ("petit-timbaud", "Falafels (6)", 1))
    reason = problems(client.post("/api/v1/quotes", json=fragile))["lines"]
    assert reason.startswith("these dishes cannot arrive hot together")
    assert "Falafels (6) keeps 15 min" in reason
    sturdy = cart(session, *far_apart, ("petit-timbaud", "Houmous", 1))
    assert client.post("/api/v1/quotes", json=sturdy).status_code == 200


def test_one_kitchen_pays_no_extra_distance(client: TestClient, session: Session) -> None:
    quote = client.post("/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1))).json()
    assert quote["fee"] == {
        "base_cents": 290,
        "extra_restaurants": 0,
        "extra_restaurants_cents": 0,
        "extra_distance_m": 0,
        "extra_distance_cents": 0,
    }


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("line", "body.lines.0.price_cents"),
        ("top", "body.total_cents"),
        ("fee", "body.delivery_fee_cents"),
    ],
)
def test_prices_sent_by_the_client_are_refused(
    client: TestClient, session: Session, where: str, field: str
) -> None:
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    if where == "line":
        body["lines"][0]["price_cents"] = 1
    elif where == "top":
        body["total_cents"] = 1
    else:
        body["delivery_fee_cents"] = 0
    found = problems(client.post("/api/v1/quotes", json=body))
    assert found[field] == "prices, fees and totals are computed by the server: do not send them"


def test_every_reason_is_named_at_once(client: TestClient, session: Session) -> None:
    sold_out = session.get(Dish, dish_id(session, "bouillon-colette", "Bœuf bourguignon"))
    assert sold_out is not None
    sold_out.portions_left = 0
    session.add(sold_out)
    session.commit()
    body = cart(
        session,
        ("bouillon-colette", "Bœuf bourguignon", 1),
        ("comptoir-oberkampf", "Croque-monsieur", 1),
        ("pho-turenne", "Nems (4)", 1),
        ("petit-timbaud", "Houmous", 1),
    )
    body["lines"].append({"dish_id": 999_999, "quantity": 1})
    body["destination"] = {"lat": 48.853, "lon": 2.3573}  # in the Seine
    found = problems(client.post("/api/v1/quotes", json=body))
    assert found["lines.0.dish_id"] == "Bœuf bourguignon is sold out"
    assert found["lines.4.dish_id"] == "no such dish"
    assert "at most 3 restaurants; this cart has 4" in found["lines"]
    assert "outside the service zone" in found["destination"]


def test_a_paused_kitchen_is_named(client: TestClient, session: Session) -> None:
    from api.models import Restaurant
    from tests.accounts import restaurant_id

    restaurant = session.get(Restaurant, restaurant_id(session, "pho-turenne"))
    assert restaurant is not None
    restaurant.paused = True
    session.add(restaurant)
    session.commit()
    found = problems(
        client.post("/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1)))
    )
    assert found["lines.0.dish_id"] == "Phở Turenne is not taking orders right now"


def test_more_portions_than_left_are_refused(client: TestClient, session: Session) -> None:
    found = problems(
        client.post("/api/v1/quotes", json=cart(session, ("tartes-mericourt", "Tarte Tatin", 13)))
    )
    assert found["lines.0.dish_id"] == "only 12 portions of Tarte Tatin are left"


def test_a_closed_kitchen_is_named_with_its_hours(
    client: TestClient, session: Session, clock: FixedClock
) -> None:
    clock.moment = FRIDAY_EVENING.replace(hour=16)  # Bouillon Colette closes 14:30-18:30
    found = problems(
        client.post("/api/v1/quotes", json=cart(session, ("bouillon-colette", "Riz au lait", 1)))
    )
    assert found["lines"] == (
        "Bouillon Colette is closed now (hours on Friday: 11:30–14:30, 18:30–23:00)"
    )


def test_a_scheduled_time_outside_opening_hours_is_refused(
    client: TestClient, session: Session
) -> None:
    late = FRIDAY_EVENING.replace(hour=23, minute=50).isoformat()
    found = problems(
        client.post(
            "/api/v1/quotes",
            json=cart(session, ("bouillon-colette", "Riz au lait", 1), deliver_at=late),
        )
    )
    assert "Bouillon Colette is closed at" in found["deliver_at"]


def test_a_scheduled_time_within_hours_is_quoted_for_then(
    client: TestClient, session: Session
) -> None:
    later = FRIDAY_EVENING.replace(hour=21, minute=0)
    response = client.post(
        "/api/v1/quotes",
        json=cart(session, ("bouillon-colette", "Riz au lait", 1), deliver_at=later.isoformat()),
    )
    assert response.status_code == 200, response.text
    quote = response.json()
    assert datetime.fromisoformat(quote["estimated_delivery_at"]) == later
    assert datetime.fromisoformat(quote["deliver_at"]) == later
    ready = datetime.fromisoformat(quote["restaurants"][0]["ready_at"])
    assert later - timedelta(minutes=30) < ready < later


def test_too_soon_says_the_earliest_time(client: TestClient, session: Session) -> None:
    soon = FRIDAY_EVENING.replace(minute=35).isoformat()
    found = problems(
        client.post(
            "/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1), deliver_at=soon)
        )
    )
    assert found["deliver_at"].startswith("too soon: the earliest delivery is 19:")


def test_a_relay_point_destination(client: TestClient, session: Session) -> None:
    relays = client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if r["slug"] == "tabac-voltaire")
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    body["destination"] = {"relay_point_id": voltaire["id"]}
    quote = client.post("/api/v1/quotes", json=body).json()
    assert quote["destination"]["kind"] == "relay_point"
    assert quote["destination"]["relay_point_name"] == "Le Voltaire"


def test_a_relay_point_closed_on_arrival_is_refused(
    client: TestClient, session: Session, clock: FixedClock
) -> None:
    temple = next(
        r for r in client.get("/api/v1/relay-points").json() if r["slug"] == "tabac-du-temple"
    )
    clock.moment = FRIDAY_EVENING.replace(hour=20, minute=25)  # closes 20:30
    body = cart(session, ("comptoir-oberkampf", "Croque-monsieur", 1))
    body["destination"] = {"relay_point_id": temple["id"]}
    found = problems(client.post("/api/v1/quotes", json=body))
    assert found["destination.relay_point_id"].startswith("Tabac du Temple is closed at 20:")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["lines"][0].update(quantity=0), "body.lines.0.quantity"),
        (lambda b: b["lines"][0].update(quantity=51), "body.lines.0.quantity"),
        (lambda b: b["lines"][0].update(note="x" * 201), "body.lines.0.note"),
        (lambda b: b.update(lines=b["lines"] * 31), "body.lines"),
        (lambda b: b.update(lines=[]), "body.lines"),
    ],
)
def test_input_limits(client: TestClient, session: Session, change: Any, field: str) -> None:
    body = cart(session, ("pho-turenne", "Nems (4)", 1))
    change(body)
    assert field in problems(client.post("/api/v1/quotes", json=body))


def test_bodies_over_the_cap_are_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/quotes",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_with_no_courier_on_shift_only_a_scheduled_delivery_is_quoted(
    client: TestClient, session: Session, clock: FixedClock
) -> None:
    only_on_shift(session, clock)
    asap = client.post("/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1)))
    assert problems(asap) == {"deliver_at": NO_COURIER}
    later = (clock.now() + timedelta(hours=2)).isoformat()
    scheduled = client.post(
        "/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1), deliver_at=later)
    )
    assert scheduled.status_code == 200, scheduled.text
