"""Down to the door: what the customer types about the door reaches the order and the courier,
and the customer's phone reaches the courier only while the food is out."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_courier_api import bag_ready, planned_round
from tests.test_quotes import HOME, cart, problems

THE_DOOR = {
    "house_number": "12 bis",
    "floor": "3",
    "door_code": "4521B",
    "notes": "Courtyard, second door on the left",
    "phone": "06 12 34 56 78",
}


def test_the_door_reaches_the_quote_and_the_order(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    body = cart(session, ("pho-turenne", "Nems (4)", 1), destination={**HOME, **THE_DOOR})
    quote = client.post("/api/v1/quotes", json=body)
    assert quote.status_code == 200, quote.text
    destination = quote.json()["destination"]
    assert destination["house_number"] == "12 bis"
    assert destination["phone"] == "+33612345678"  # stored in international form


def test_a_bad_door_is_refused_field_by_field(client: TestClient, session: Session) -> None:
    door = {**HOME, "house_number": "twelve", "phone": "12"}
    found = problems(
        client.post(
            "/api/v1/quotes", json=cart(session, ("pho-turenne", "Nems (4)", 1), destination=door)
        )
    )
    assert "a house number" in found["body.destination.house_number"]
    assert "phone" in found["body.destination.phone"]


def test_the_courier_reads_the_door_and_the_phone_only_while_carrying(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, round_ = planned_round(
        client, session, settings, clock, geography, destination={**HOME, **THE_DOOR}
    )
    mine = alliance.courier(1)
    pickup, door = round_["stops"]
    assert door["instructions"].endswith(f"to 12 bis {HOME['address']} (floor 3, code 4521B)")
    assert (door["floor"], door["door_code"]) == ("3", "4521B")
    assert door["notes"] == "Courtyard, second door on the left"
    assert door["phone"] == ""  # not before the food is on board

    def door_now() -> dict[str, Any]:
        stops = client.get("/api/v1/courier/round", headers=mine).json()["stops"]
        return dict(next(s for s in stops if s["kind"] == "dropoff"))

    bag_ready(client, alliance, order)
    assert client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine).is_success
    assert door_now()["phone"] == "+33 6 12 34 56 78"
    assert client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine).is_success
    after = client.get("/api/v1/courier/round", headers=mine).json()["stops"]
    assert all(stop["phone"] == "" for stop in after)  # delivered: never after


def test_a_saved_address_keeps_its_door(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    customer = headers_for(session, settings, clock, "customer@chaud.demo")
    saved = {
        "label": "Work",
        "address": HOME["address"],
        "lat": HOME["lat"],
        "lon": HOME["lon"],
        "house_number": "3",
        "floor": "RDC",
        "door_code": "A12",
        "instructions": "Ask for Camille at the desk",
        "phone": "+33 1 99 00 12 34",
    }
    created = client.post("/api/v1/me/addresses", json=saved, headers=customer)
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+33199001234"
    listed = client.get("/api/v1/me/addresses", headers=customer).json()
    assert any(a["door_code"] == "A12" and a["floor"] == "RDC" for a in listed)
    bad = client.post("/api/v1/me/addresses", json={**saved, "phone": "call me"}, headers=customer)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "body.phone"
