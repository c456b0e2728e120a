"""A kitchen's pace learned from its tickets and planned with: the quote, the dispatcher's
snapshot, the kitchen screen and the operator's report read the same learned figures."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.dispatcher.cycle import rules_from
from api.dispatcher.snapshot import take_snapshot
from api.dispatcher.zones import claim
from api.models import Dish, LearnedPace, Ticket
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.prep import MIN_TICKETS
from dispatch.planning.zones import WHOLE_CITY, ZoneMap
from tests.accounts import dish_id, headers_for
from tests.test_orders import customer, place  # noqa: F401  (fixture)
from tests.test_quotes import cart

NEMS = ("pho-turenne", "Nems (4)", 1)


@pytest.fixture
def pho(session: Session, settings: Settings, clock: FixedClock) -> dict[str, str]:
    return headers_for(session, settings, clock, "kitchen-pho-turenne@chaud.demo")


def _declared_minutes(session: Session) -> int:
    dish = session.get(Dish, dish_id(session, *NEMS[:2]))
    assert dish is not None
    return dish.prep_minutes


def _order(client: TestClient, customer: dict[str, str], session: Session, key: str) -> Any:  # noqa: F811
    response = place(client, customer, cart(session, NEMS), key)
    assert response.status_code == 201, response.text
    return response.json()["tickets"][0]


def _act(client: TestClient, pho: dict[str, str], ticket_id: int, action: str) -> Any:
    response = client.post(f"/api/v1/kitchen/tickets/{ticket_id}/{action}", headers=pho)
    assert response.status_code == 200, response.text
    return response.json()


def _cook(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],
    tickets: int,
    minutes: int,
) -> None:
    """The kitchen cooks this many tickets, one after the other, in these minutes each (the
    clock goes back after each: the accounts' sign-ins stay fresh)."""
    began = clock.moment
    for number in range(tickets):
        ticket = _order(client, customer, session, f"slow-{number}")
        _act(client, pho, ticket["id"], "start")
        clock.moment = began + timedelta(minutes=minutes)
        _act(client, pho, ticket["id"], "ready")
        clock.moment = began


def test_a_kitchen_slower_than_its_word_is_learned_and_planned_with(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    settings: Settings,
    geography: Geography,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],
) -> None:
    declared = _declared_minutes(session)
    quoted = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    assert quoted["restaurants"][0]["prep_minutes"] == declared, "no history: its word"
    screen = client.get("/api/v1/kitchen/restaurant", headers=pho).json()
    assert screen["pace"] == {"factor": 1.0, "cooking": 0, "tickets": 0}

    real = 2 * declared
    _cook(client, session, clock, customer, pho, tickets=12, minutes=real)

    stored = session.get(LearnedPace, quoted["restaurants"][0]["restaurant_id"])
    assert stored is not None
    assert stored.tickets == 12
    screen = client.get("/api/v1/kitchen/restaurant", headers=pho).json()
    assert screen["pace"]["tickets"] == 12
    assert 1.5 <= screen["pace"]["factor"] <= 2.0, "shrunk a little towards its word"
    planned = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    learned = planned["restaurants"][0]["prep_minutes"]
    assert declared * 1.5 <= learned <= real

    ticket = _order(client, customer, session, "after-learning")
    listed = client.get("/api/v1/kitchen/tickets", params={"status": "new"}, headers=pho).json()
    shown = next(t for t in listed if t["id"] == ticket["id"])
    assert (shown["prep_minutes"], shown["declared_minutes"]) == (learned, declared)

    _act(client, pho, ticket["id"], "accept")
    claim(session, ZoneMap.whole_city(), WHOLE_CITY)
    rules = replace(rules_from(settings), time_limit_s=0.3)
    estimate = take_snapshot(session, geography, rules, clock.now()).prep[ticket["id"]]
    assert declared * 60 * 1.5 <= estimate.median_s <= estimate.upper_s


def test_busy_minutes_are_a_nudge_on_the_learned_time(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],
) -> None:
    declared = _declared_minutes(session)
    _cook(client, session, clock, customer, pho, tickets=MIN_TICKETS + 5, minutes=2 * declared)
    learned = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    busy = client.patch("/api/v1/kitchen/restaurant", json={"busy_extra_minutes": 10}, headers=pho)
    assert busy.status_code == 200
    assert busy.json()["pace"]["tickets"] == MIN_TICKETS + 5
    nudged = client.post("/api/v1/quotes", json=cart(session, NEMS)).json()
    before = learned["restaurants"][0]["prep_minutes"]
    assert nudged["restaurants"][0]["prep_minutes"] == before + 10
    assert before > declared


def test_a_ticket_records_the_kitchens_load_when_it_started(
    client: TestClient,
    session: Session,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],
) -> None:
    first, second = (_order(client, customer, session, f"load-{n}") for n in range(2))
    _act(client, pho, first["id"], "start")
    _act(client, pho, second["id"], "start")
    loads = [session.get(Ticket, t["id"]) for t in (first, second)]
    assert [t.load_at_start for t in loads if t is not None] == [0, 1]
    assert client.get("/api/v1/kitchen/restaurant", headers=pho).json()["pace"]["cooking"] == 2


def test_the_report_shows_real_declared_planned_and_learned_times(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    settings: Settings,
    customer: dict[str, str],  # noqa: F811
    pho: dict[str, str],
) -> None:
    declared = _declared_minutes(session)
    day = clock.now().date().isoformat()
    _cook(client, session, clock, customer, pho, tickets=8, minutes=declared + 6)
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    report = client.get(f"/api/v1/ops/reports?start={day}", headers=operator).json()
    (pho_row,) = [k for k in report["kitchens"] if k["name"].startswith("Phở")]
    assert pho_row["prep_minutes_mean"] == declared + 6
    assert pho_row["declared_prep_minutes_mean"] == declared
    assert pho_row["learned_tickets"] == 8
    assert pho_row["learned_factor"] > 1.0
    # The first tickets were planned at the declared time, the later ones at the learned one.
    assert declared <= pho_row["planned_prep_minutes_mean"] <= declared + 6
