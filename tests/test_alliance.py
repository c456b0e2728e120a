"""Managing the alliance through the API: restaurants, hours and exceptions, dishes (CSV too),
people and their one-time links; and what customers and kitchens see of it."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.cli import app as cli
from api.clock import FixedClock
from api.models import AuditEntry
from api.settings import Settings
from tests.accounts import headers_for, only_on_shift
from tests.test_dispatcher import NEAR_OBERKAMPF

MARGOT = {
    "slug": "chez-margot",
    "name": "Chez Margot",
    "cuisine": "Bistrot",
    "address": "12 rue Oberkampf",
    "lat": NEAR_OBERKAMPF["lat"],
    "lon": NEAR_OBERKAMPF["lon"],
    "phone": "+33 1 43 55 00 00",
}
BLANQUETTE = {"name": "Blanquette", "price_cents": 1650, "prep_minutes": 12, "station": "stove"}
HOME = {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"}


class Console:
    def __init__(
        self, client: TestClient, session: Session, settings: Settings, clock: FixedClock
    ) -> None:
        self.client, self.session, self.settings, self.clock = client, session, settings, clock
        self.operator = headers_for(session, settings, clock, "operator@chaud.demo")

    def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        headers = {**self.operator, **kwargs.pop("headers", {})}
        response = self.client.request(method, f"/api/v1/ops{path}", headers=headers, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def courier_on_shift(self) -> None:
        only_on_shift(self.session, self.clock)
        courier = headers_for(self.session, self.settings, self.clock, "courier-1@chaud.demo")
        started = self.client.post(
            "/api/v1/courier/shift/start", json=NEAR_OBERKAMPF, headers=courier
        )
        assert started.status_code == 200, started.text

    def margot(self) -> dict[str, Any]:
        created = self.call("POST", "/restaurants", 201, json=MARGOT)
        week = [{"weekday": d, "opens": "11:00", "closes": "23:00"} for d in range(7)]
        self.call("PUT", f"/restaurants/{created['id']}/hours", json={"periods": week})
        return dict(created)

    def order(self, dish_id: int, key: str) -> Any:
        customer = headers_for(self.session, self.settings, self.clock, "customer@chaud.demo")
        return self.client.post(
            "/api/v1/orders",
            json={"lines": [{"dish_id": dish_id, "quantity": 1}], "destination": HOME},
            headers={**customer, "Idempotency-Key": key},
        )


def test_a_restaurant_off_the_streets_or_on_a_taken_slug_is_refused(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    far = console.call("POST", "/restaurants", 422, json={**MARGOT, "lat": 48.95, "lon": 2.5})
    assert far["detail"][0]["field"] == "lat"
    assert far["detail"][0]["reason"]
    console.margot()
    taken = console.call("POST", "/restaurants", 409, json=MARGOT)
    assert taken["detail"]["current_status"] == "taken"
    bad = console.call("POST", "/restaurants", 422, json={**MARGOT, "slug": "Chez Margot!"})
    assert bad["detail"][0]["field"].endswith("slug")


def test_a_new_restaurant_sells_once_it_has_hours_and_dishes_and_not_once_deactivated(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    console.courier_on_shift()
    margot = console.margot()
    dish = console.call("POST", f"/restaurants/{margot['id']}/dishes", 201, json=BLANQUETTE)
    assert dish["vat_class"] == "food_10"
    assert console.order(dish["id"], "first").status_code == 201
    menu = client.get(f"/api/v1/restaurants/{margot['id']}/menu").json()
    assert [d["name"] for d in menu["dishes"]] == ["Blanquette"]

    console.call("PATCH", f"/restaurants/{margot['id']}", json={"active": False})
    assert client.get(f"/api/v1/restaurants/{margot['id']}/menu").status_code == 404
    listed = client.get("/api/v1/restaurants").json()
    assert margot["id"] not in {r["id"] for r in listed}
    refused = console.order(dish["id"], "second")
    assert refused.status_code == 422
    assert "not taking orders" in refused.json()["detail"][0]["reason"]
    actions = session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all()
    assert [str(a) for a in actions] == [
        "create_restaurant",
        "set_hours",
        "create_dish",
        "edit_restaurant",
    ]


def test_a_day_closed_by_exception_refuses_orders_and_says_so(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    console.courier_on_shift()
    margot = console.margot()
    dish = console.call("POST", f"/restaurants/{margot['id']}/dishes", 201, json=BLANQUETTE)
    today = clock.now().astimezone().date().isoformat()
    shown = console.call(
        "POST", f"/restaurants/{margot['id']}/exceptions", json={"day": today, "note": "wedding"}
    )
    assert shown["exceptions"][0]["opens"] is None
    refused = console.order(dish["id"], "closed")
    assert refused.status_code == 422
    assert "closed all day" in refused.json()["detail"][0]["reason"]
    console.call(
        "DELETE", f"/restaurants/{margot['id']}/exceptions/{shown['exceptions'][0]['id']}", 204
    )
    assert console.order(dish["id"], "open again").status_code == 201
    evening = {"day": today, "opens": "21:00", "closes": "23:00"}
    console.call("POST", f"/restaurants/{margot['id']}/exceptions", json=evening)
    assert console.order(dish["id"], "too early").status_code == 422  # it is 18:30
    odd = {"day": today, "opens": "22:00", "closes": "21:00"}
    assert console.call("POST", f"/restaurants/{margot['id']}/exceptions", 422, json=odd)
    overlapping = {
        "periods": [
            {"weekday": 0, "opens": "11:00", "closes": "15:00"},
            {"weekday": 0, "opens": "14:00", "closes": "18:00"},
        ]
    }
    problem = console.call("PUT", f"/restaurants/{margot['id']}/hours", 422, json=overlapping)
    assert problem["detail"][0] == {"field": "periods.1", "reason": "overlaps another period"}


def test_a_menu_goes_out_and_back_in_as_csv_all_or_nothing(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    margot = console.margot()
    console.call("POST", f"/restaurants/{margot['id']}/dishes", 201, json=BLANQUETTE)
    csv = client.get(
        f"/api/v1/ops/restaurants/{margot['id']}/menu.csv", headers=console.operator
    ).text
    assert csv.splitlines()[1].startswith("Blanquette,,1650,12,,stove,25,food_10,yes,")
    edited = (
        csv.replace(",1650,", ",1750,")
        + "Tarte Tatin,,700,5,gluten;eggs,pastry,40,food_10,yes,20\n"
    )
    done = console.call(
        "POST",
        f"/restaurants/{margot['id']}/menu.csv",
        content=edited.encode(),
        headers={**console.operator, "Content-Type": "text/csv"},
    )
    assert (done["created"], done["updated"]) == (1, 1)
    dishes = {d["name"]: d for d in console.call("GET", f"/restaurants/{margot['id']}/dishes")}
    assert dishes["Blanquette"]["price_cents"] == 1750
    assert dishes["Tarte Tatin"]["allergens"] == ["gluten", "eggs"]
    assert dishes["Tarte Tatin"]["portions_left"] == 20

    broken = (
        edited + "Soupe,,-5,5,,stove,25,food_10,yes,\nSalade,,900,5,walnuts,cold,25,food_10,yes,\n"
    )
    problems = console.call(
        "POST",
        f"/restaurants/{margot['id']}/menu.csv",
        422,
        content=broken.encode(),
        headers={**console.operator, "Content-Type": "text/csv"},
    )
    fields = [p["field"] for p in problems["detail"]]
    assert fields == ["rows.3.price_cents", "rows.4.allergens.0"]
    after = console.call("GET", f"/restaurants/{margot['id']}/dishes")
    assert len(after) == 2  # nothing of the broken file was written


def test_a_kitchen_edits_its_own_menu_and_no_other(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    kitchen = headers_for(session, settings, clock, "kitchen-pho-turenne@chaud.demo")
    mine = client.get("/api/v1/kitchen/dishes", headers=kitchen).json()
    changed = client.patch(
        f"/api/v1/kitchen/dishes/{mine[0]['id']}",
        json={"price_cents": 1234, "vat_class": "packaged_5_5"},
        headers=kitchen,
    )
    assert changed.status_code == 200
    assert changed.json()["price_cents"] == 1234
    new = client.post("/api/v1/kitchen/dishes", json=BLANQUETTE, headers=kitchen)
    assert new.status_code == 201
    other = headers_for(session, settings, clock, "kitchen-comptoir-oberkampf@chaud.demo")
    theirs = client.patch(
        f"/api/v1/kitchen/dishes/{mine[0]['id']}", json={"price_cents": 1}, headers=other
    )
    assert theirs.status_code == 404


def test_an_invited_kitchen_sets_its_password_once_and_a_deactivated_one_is_out_at_once(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    margot = console.margot()
    invite = {
        "email": "Margot@Example.org",
        "name": "Margot",
        "role": "kitchen",
        "restaurant_id": margot["id"],
    }
    link = console.call("POST", "/people", 201, json=invite)
    token = link["link"].split("token=")[1]
    assert link["user"]["email"] == "margot@example.org"
    assert console.call("POST", "/people", 409, json=invite)["detail"]["current_status"] == "taken"
    weak = client.post("/api/v1/auth/password", json={"token": token, "password": "margot1234"})
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "password"
    chosen = "blanquette du vendredi soir"
    done = client.post("/api/v1/auth/password", json={"token": token, "password": chosen})
    assert done.status_code == 200, done.text
    again = client.post("/api/v1/auth/password", json={"token": token, "password": chosen + "!"})
    assert again.status_code == 422  # a link works once
    signed = client.post(
        "/api/v1/auth/token", data={"username": "margot@example.org", "password": chosen}
    )
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    assert client.get("/api/v1/kitchen/tickets", headers=headers).status_code == 200

    console.call("POST", f"/people/{link['user']['id']}/deactivate", json={"reason": "left"})
    assert client.get("/api/v1/kitchen/tickets", headers=headers).status_code == 401
    operator_id = client.get("/api/v1/me", headers=console.operator).json()["id"]
    console.call("POST", f"/people/{operator_id}/deactivate", 409, json={"reason": "oops"})


def test_a_reset_link_replaces_the_last_and_expires(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    courier = console.call("GET", "/people?role=courier")[0]
    first = console.call("POST", f"/people/{courier['id']}/password-link", json={"reason": "x"})
    second = console.call("POST", f"/people/{courier['id']}/password-link", json={"reason": "y"})
    old, new = (link["link"].split("token=")[1] for link in (first, second))
    password = "a long courier phrase"
    customer = headers_for(session, settings, clock, "customer@chaud.demo")
    customer_id = client.get("/api/v1/me", headers=customer).json()["id"]
    console.call("POST", f"/people/{customer_id}/password-link", 404, json={"reason": "no"})
    edited = console.call("PATCH", f"/couriers/{courier['courier_id']}", json={"bag_capacity": 5})
    assert edited["bag_capacity"] == 5
    used = client.post("/api/v1/auth/password", json={"token": old, "password": password})
    assert used.status_code == 422  # replaced by the second link
    clock.moment += timedelta(hours=73)
    late = client.post("/api/v1/auth/password", json={"token": new, "password": password})
    assert late.status_code == 422  # expired


def test_the_cli_sets_up_a_restaurant_its_menu_and_its_kitchen(
    tmp_path: Path, graph_cache: Path
) -> None:
    runner = CliRunner()
    env = {
        "CHAUD_DATABASE_URL": f"sqlite:///{(tmp_path / 'cli.db').as_posix()}",
        "CHAUD_CACHE_DIR": str(graph_cache),
    }
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    place = ["--lat", str(MARGOT["lat"]), "--lon", str(MARGOT["lon"])]
    add = ["restaurant", "add", "--slug", "chez-margot", "--name", "Chez Margot"]
    add += ["--cuisine", "bistrot", "--address", "12 rue Oberkampf", *place]
    added = runner.invoke(cli, add, env=env)
    assert added.exit_code == 0, added.output
    assert "Chez Margot (/r/chez-margot)" in added.output
    again = runner.invoke(cli, add, env=env)
    assert again.exit_code == 2
    assert "the slug chez-margot is taken" in again.output

    menu = tmp_path / "menu.csv"
    menu.write_text(
        "name,price_cents,prep_minutes,station,allergens\n"
        "Blanquette,1650,12,stove,\nTarte Tatin,700,5,pastry,gluten;eggs\n",
        encoding="utf-8",
    )
    imported = runner.invoke(cli, ["menu", "import", "chez-margot", str(menu)], env=env)
    assert imported.exit_code == 0, imported.output
    assert "2 dishes created, 0 updated" in imported.output
    exported = runner.invoke(cli, ["menu", "export", "chez-margot"], env=env)
    assert "Tarte Tatin,,700,5,gluten;eggs,pastry" in exported.output
    menu.write_text("name,price_cents,prep_minutes,station\nSoupe,-1,5,stove\n", encoding="utf-8")
    broken = runner.invoke(cli, ["menu", "import", "chez-margot", str(menu)], env=env)
    assert broken.exit_code == 2
    assert "rows.1.price_cents" in broken.output

    invite = ["user", "invite", "margot@example.org", "--name", "Margot", "--role", "kitchen"]
    invited = runner.invoke(cli, [*invite, "--restaurant", "chez-margot"], env=env)
    assert invited.exit_code == 0, invited.output
    assert re.search(r"/welcome\?token=[\w-]{40,}", invited.output)
    lost = runner.invoke(cli, [*invite, "--restaurant", "nowhere"], env=env)
    assert lost.exit_code == 2
    assert "no restaurant nowhere" in lost.output


def test_a_roster_decides_booked_slots_and_when_a_shift_started_in_it_ends(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    console = Console(client, session, settings, clock)
    courier = console.call("GET", "/people?role=courier")[0]
    courier_id = courier["courier_id"]
    friday = clock.now().astimezone(ZoneInfo(settings.timezone))  # 18:30 local
    week = {"periods": [{"weekday": friday.weekday(), "starts": "18:00", "ends": "21:30"}]}
    overlap = {
        "periods": [
            {"weekday": 4, "starts": "18:00", "ends": "21:00"},
            {"weekday": 4, "starts": "20:00", "ends": "22:00"},
        ]
    }
    refused = console.call("PUT", f"/couriers/{courier_id}/roster", 422, json=overlap)
    assert refused["detail"][0] == {"field": "periods.1", "reason": "overlaps another period"}
    shown = console.call("PUT", f"/couriers/{courier_id}/roster", json=week)
    assert shown == week["periods"]

    customer = headers_for(session, settings, clock, "customer@chaud.demo")
    dish = client.get("/api/v1/dishes", params={"q": "Nems"}).json()[0]["id"]

    def quote(at: str) -> Any:
        slot = friday.replace(hour=int(at[:2]), minute=int(at[3:]))
        cart = {
            "lines": [{"dish_id": dish, "quantity": 1}],
            "destination": HOME,
            "deliver_at": slot.isoformat(),
        }
        return client.post("/api/v1/quotes", json=cart, headers=customer)

    assert quote("20:30").status_code == 200
    late = quote("22:00")
    assert late.status_code == 422
    assert {
        "field": "deliver_at",
        "reason": "no courier is planned at 22:00: choose another time",
    } in late.json()["detail"]

    only_on_shift(session, clock)
    email = courier["email"]
    started = client.post(
        "/api/v1/courier/shift/start",
        json=NEAR_OBERKAMPF,
        headers=headers_for(session, settings, clock, email),
    )
    assert started.status_code == 200, started.text
    ends = datetime.fromisoformat(started.json()["planned_end_at"]).astimezone(friday.tzinfo)
    assert (ends.hour, ends.minute) == (21, 30)  # the planned shift's end
