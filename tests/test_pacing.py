"""A kitchen's pace cap: at most N orders ready a quarter hour; past it later times, no refusal."""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.dispatcher.cycle import rules_from
from api.dispatcher.snapshot import take_snapshot
from api.dispatcher.zones import claim
from api.models import Restaurant, Ticket
from api.services.pacing import QUARTER, quarter_of
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.zones import WHOLE_CITY, ZoneMap
from tests.accounts import headers_for
from tests.test_orders import customer, place  # noqa: F401  (fixture)
from tests.test_paces import NEMS, pho  # noqa: F401  (fixture)
from tests.test_quotes import cart, problems


def _cap(client: TestClient, kitchen: dict[str, str], orders: int) -> None:
    response = client.patch(
        "/api/v1/kitchen/restaurant", json={"orders_per_quarter": orders}, headers=kitchen
    )
    assert response.status_code == 200, response.text
    assert response.json()["orders_per_quarter"] == orders


def _ready(quote: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(quote["restaurants"][0]["ready_at"])


def test_past_its_cap_a_kitchen_cooks_for_its_next_quarter_with_room(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    settings: Settings,
    geography: Geography,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],  # noqa: F811
) -> None:
    _cap(client, pho, 2)
    first = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    assert first["notes"] == []
    for key in ("a", "b"):
        assert place(client, customer, cart(session, NEMS), key).status_code == 201
    third = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    assert _ready(third) == quarter_of(_ready(first)) + QUARTER, "the next quarter, not refused"
    assert datetime.fromisoformat(third["estimated_delivery_at"]) > datetime.fromisoformat(
        first["estimated_delivery_at"]
    )
    assert "Phở Turenne is fully booked until" in third["notes"][0]
    placed = place(client, customer, cart(session, NEMS), "c").json()
    due = session.exec(select(Ticket.due_at).where(col(Ticket.order_id) == placed["id"])).one()
    assert due == _ready(third)

    # The dispatcher does not have it cooked before its quarter either.
    client.post(f"/api/v1/kitchen/tickets/{placed['tickets'][0]['id']}/accept", headers=pho)
    claim(session, ZoneMap.whole_city(), WHOLE_CITY)
    rules = replace(rules_from(settings), time_limit_s=0.3)
    snapshot = take_snapshot(session, geography, rules, clock.now())
    (task,) = [o for o in snapshot.problem.orders if o.order_id == placed["id"]]
    assert clock.now() + timedelta(seconds=task.pickups[0].ready_s) >= due


def test_a_booked_time_in_a_full_quarter_is_refused_with_the_first_time_that_fits(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],  # noqa: F811
) -> None:
    _cap(client, pho, 1)
    slot = (clock.now() + timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)
    booked = cart(session, NEMS, deliver_at=slot.isoformat())
    assert place(client, customer, booked, "first").status_code == 201
    reason = problems(client.post("/api/v1/quotes", json=booked))["deliver_at"]
    assert reason.startswith("Phở Turenne is fully booked at")
    offered = reason.rsplit(" ", 1)[-1]
    later = slot.astimezone(clock.now().tzinfo).replace(
        hour=int(offered[:2]), minute=int(offered[3:])
    )
    assert later > slot
    again = client.post("/api/v1/quotes", json=cart(session, NEMS, deliver_at=later.isoformat()))
    assert again.status_code == 200, again.text


def test_the_operator_sets_a_kitchens_cap_and_zero_lifts_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
) -> None:
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    rid = session.exec(select(Restaurant.id).where(Restaurant.slug == "pho-turenne")).one()
    path = f"/api/v1/ops/restaurants/{rid}"
    assert client.patch(path, json={"orders_per_quarter": 1}, headers=operator).status_code == 200
    assert client.get(path, headers=operator).json()["orders_per_quarter"] == 1
    assert place(client, customer, cart(session, NEMS), "one").status_code == 201
    assert client.post("/api/v1/quotes", json=cart(session, NEMS)).json()["notes"]
    assert client.patch(path, json={"orders_per_quarter": 0}, headers=operator).status_code == 200
    assert client.post("/api/v1/quotes", json=cart(session, NEMS)).json()["notes"] == []
    refused = client.patch(path, json={"orders_per_quarter": -1}, headers=operator)
    assert refused.status_code == 422
    assert "orders_per_quarter" in refused.text
