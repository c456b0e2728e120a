"""Browsing the alliance: open now, menus, dish search across kitchens, relay points."""

from fastapi.testclient import TestClient

from api.clock import FixedClock
from tests.databases import FRIDAY_EVENING


def test_restaurants_say_whether_they_are_open(client: TestClient, clock: FixedClock) -> None:
    every = client.get("/api/v1/restaurants").json()
    assert all(r["is_open"] for r in every)
    clock.moment = FRIDAY_EVENING.replace(hour=16)
    open_now = {
        r["slug"] for r in client.get("/api/v1/restaurants", params={"open_now": True}).json()
    }
    assert "comptoir-oberkampf" in open_now
    assert "bouillon-colette" not in open_now
    closed = {
        r["slug"] for r in client.get("/api/v1/restaurants", params={"open_now": False}).json()
    }
    assert closed == {r["slug"] for r in every} - open_now


def test_restaurants_filter_by_cuisine(client: TestClient) -> None:
    found = client.get("/api/v1/restaurants", params={"cuisine": "Vietnamese"}).json()
    assert [r["slug"] for r in found] == ["pho-turenne"]


def test_a_menu_lists_prices_allergens_availability(client: TestClient) -> None:
    restaurants = client.get("/api/v1/restaurants").json()
    pho = next(r for r in restaurants if r["slug"] == "pho-turenne")
    menu = client.get(f"/api/v1/restaurants/{pho['id']}/menu").json()
    assert menu["restaurant"]["name"] == "Phở Turenne"
    nems = next(d for d in menu["dishes"] if d["name"] == "Nems (4)")
    assert nems["price_cents"] == 750
    assert nems["allergens"] == ["gluten", "eggs", "soy"]
    assert nems["available"] is True
    assert client.get("/api/v1/restaurants/999999/menu").status_code == 404


def test_dishes_are_searched_across_the_alliance(client: TestClient) -> None:
    tarts = client.get("/api/v1/dishes", params={"q": "tarte"}).json()
    assert {d["restaurant_slug"] for d in tarts} == {"tartes-mericourt"}
    burrata = client.get("/api/v1/dishes", params={"q": "burrata"}).json()
    assert {d["restaurant_slug"] for d in burrata} == {"trattoria-saint-maur", "zinc-de-malte"}


def test_dishes_can_leave_out_allergens(client: TestClient) -> None:
    safe = client.get(
        "/api/v1/dishes",
        params=[("allergen_free", "gluten"), ("allergen_free", "milk"), ("limit", "100")],
    ).json()
    assert safe
    assert all(not {"gluten", "milk"} & set(d["allergens"]) for d in safe)
    assert client.get("/api/v1/dishes", params={"allergen_free": "chocolate"}).status_code == 422


def test_relay_points_are_listed(client: TestClient) -> None:
    relays = client.get("/api/v1/relay-points").json()
    assert {r["slug"] for r in relays} == {"tabac-du-temple", "tabac-voltaire", "balto-faubourg"}
