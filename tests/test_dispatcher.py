"""The dispatcher against the demo alliance: plan, tell kitchens, ride the rounds, deliver.

Cycles run in the test's transaction (same code as `chaud dispatcher run`, without the loop),
so every step can be checked between cycles.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.dispatcher.cycle import CycleReport, rules_from, run_cycle
from api.dispatcher.snapshot import take_snapshot
from api.models import OutboxEvent, Round, Stop, StopKind
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.firing import FIRE_AHEAD_S, JOINING_BAG_AHEAD_S
from tests.accounts import headers_for, only_on_shift
from tests.test_quotes import cart

NEAR_OBERKAMPF = {"lat": 48.8646, "lon": 2.3700}
NEAR_BRETAGNE = {"lat": 48.8628, "lon": 2.3640}


def cycle(
    session: Session, geography: Geography, settings: Settings, clock: FixedClock
) -> CycleReport:
    # A short search: these instances are tiny, and the test runs a dozen cycles.
    rules = replace(rules_from(settings), time_limit_s=0.3)
    return until_written(lambda: run_cycle(session, session, geography, rules, clock.now()))


def until_written(run: Callable[[], CycleReport], cycles: int = 5) -> CycleReport:
    """The first cycle that writes a plan. On a loaded machine the guard may stop a search
    before it told any plan (dispatch.planning.guard): that cycle keeps the stored plan and
    the worker's next one plans; these tests are about the plan, so they run the next too."""
    for _ in range(cycles):
        report = run()
        if report.written:
            return report
    raise AssertionError(f"{cycles} cycles in a row wrote no plan")


class Alliance:
    """The demo alliance's people, signed in."""

    def __init__(
        self, client: TestClient, session: Session, settings: Settings, clock: FixedClock
    ) -> None:
        self.client, self.session, self.settings, self.clock = client, session, settings, clock
        self.customer = headers_for(session, settings, clock, "customer@chaud.demo")
        only_on_shift(session, clock)  # the test starts the shifts of those who ride

    def courier(self, number: int) -> dict[str, str]:
        return headers_for(self.session, self.settings, self.clock, f"courier-{number}@chaud.demo")

    def relay_shop(self, slug: str) -> dict[str, str]:
        return headers_for(self.session, self.settings, self.clock, f"relay-{slug}@chaud.demo")

    def kitchen(self, slug: str) -> dict[str, str]:
        return headers_for(self.session, self.settings, self.clock, f"kitchen-{slug}@chaud.demo")

    def order(self, *picks: tuple[str, str, int], key: str, **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/orders",
            json=cart(self.session, *picks, **extra),
            headers={**self.customer, "Idempotency-Key": key},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def start_shift(self, number: int, where: dict[str, float]) -> None:
        response = self.client.post(
            "/api/v1/courier/shift/start", json=where, headers=self.courier(number)
        )
        assert response.status_code == 200, response.text


def slug_of(ticket: dict[str, Any]) -> str:
    return {
        "Le Comptoir d'Oberkampf": "comptoir-oberkampf",
        "Crêperie de la Rue de Bretagne": "creperie-bretagne",
        "Phở Turenne": "pho-turenne",
    }[ticket["restaurant_name"]]


def test_three_orders_two_couriers_from_plan_to_doors(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    alliance.start_shift(2, NEAR_BRETAGNE)
    three = alliance.order(
        ("comptoir-oberkampf", "Croque-monsieur", 1),
        ("creperie-bretagne", "Galette complète", 2),
        ("pho-turenne", "Nems (4)", 1),
        key="three",
    )
    one = alliance.order(("pho-turenne", "Nems (4)", 2), key="one")
    relays = client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if "Voltaire" in r["name"])
    relay = alliance.order(
        ("creperie-bretagne", "Crêpe beurre sucre", 1),
        key="relay",
        destination={"relay_point_id": voltaire["id"]},
    )
    orders = [three, one, relay]
    report = cycle(session, geography, settings, clock)
    assert report.unassigned == []

    # Rounds appear: every order on exactly one courier, the three-kitchen one whole.
    stops = session.exec(select(Stop, Round.courier_id).join(Round)).all()
    couriers_per_order = {
        o["id"]: {courier for stop, courier in stops if stop.order_id == o["id"]} for o in orders
    }
    assert all(len(c) == 1 for c in couriers_per_order.values()), couriers_per_order
    kinds = Counter((stop.order_id, stop.kind) for stop, _ in stops)
    assert kinds[(three["id"], StopKind.PICKUP)] == 3
    assert kinds[(three["id"], StopKind.DROPOFF)] == 1

    # Kitchens receive start-cooking times, fired for the courier's pickup with a margin, a
    # wider one for a bag that joins food of its order already collected.
    for o in orders:
        shown = {}
        for ticket in o["tickets"]:
            kitchen = alliance.kitchen(slug_of(ticket))
            board = client.get("/api/v1/kitchen/tickets", headers=kitchen).json()
            shown[ticket["id"]] = next(t for t in board if t["id"] == ticket["id"])
        for mine in shown.values():
            start = datetime.fromisoformat(mine["start_cooking_at"])
            pickup = datetime.fromisoformat(mine["pickup_eta"])
            joins = any(datetime.fromisoformat(t["pickup_eta"]) < pickup for t in shown.values())
            ahead = JOINING_BAG_AHEAD_S if joins else FIRE_AHEAD_S
            fired_for_the_courier = pickup - timedelta(minutes=mine["prep_minutes"], seconds=ahead)
            assert start == max(clock.now(), fired_for_the_courier)
    scheduled = session.exec(
        select(OutboxEvent).where(OutboxEvent.kind == "ticket.scheduled")
    ).all()
    assert {e.payload["ticket_id"] for e in scheduled} >= {
        t["id"] for o in orders for t in o["tickets"]
    }

    # The kitchens cook and bump; the couriers ride their rounds through the API.
    for o in orders:
        for ticket in o["tickets"]:
            kitchen = alliance.kitchen(slug_of(ticket))
            for action in ("start", "ready"):
                r = client.post(f"/api/v1/kitchen/tickets/{ticket['id']}/{action}", headers=kitchen)
                assert r.status_code == 200, r.text
    shop = alliance.relay_shop("tabac-voltaire")
    for _ in range(30):
        cycle(session, geography, settings, clock)
        rounds = {
            n: client.get("/api/v1/courier/round", headers=alliance.courier(n)).json()
            for n in (1, 2)
        }
        busy = [(n, r) for n, r in rounds.items() if r["next_stop_id"] is not None]
        if not busy:
            break
        number, round_ = busy[0]
        assert round_["geometry"], "the round comes with its streets"
        headers = alliance.courier(number)
        stop = next(s for s in round_["stops"] if s["id"] == round_["next_stop_id"])
        clock.moment += timedelta(minutes=4)
        assert (
            client.post(f"/api/v1/courier/stops/{stop['id']}/arrived", headers=headers).status_code
            == 204
        )
        if stop["shop_confirms"]:  # at the tobacconist: the shop says it received it
            r = client.post(f"/api/v1/relay/parcels/{stop['order_id']}/received", headers=shop)
        else:
            r = client.post(f"/api/v1/courier/stops/{stop['id']}/done", headers=headers)
        assert r.status_code == 200, r.text
    statuses = [
        client.get(f"/api/v1/orders/{o['id']}", headers=alliance.customer).json()["status"]
        for o in orders
    ]
    assert statuses == ["delivered", "delivered", "at_relay"]
    open_rounds = session.exec(
        select(Round).where(col(Round.status).in_(["planned", "active"]))
    ).all()
    assert open_rounds == []


def test_a_scheduled_order_is_planned_for_its_slot_not_before(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    slot = clock.now() + timedelta(hours=2)
    order = alliance.order(
        ("comptoir-oberkampf", "Croque-monsieur", 1), key="later", deliver_at=slot.isoformat()
    )
    cycle(session, geography, settings, clock)
    assert session.exec(select(Stop).where(Stop.order_id == order["id"])).all() == []

    clock.moment += timedelta(hours=1, minutes=30)
    cycle(session, geography, settings, clock)
    door = session.exec(
        select(Stop).where(Stop.order_id == order["id"], Stop.kind == StopKind.DROPOFF)
    ).one()
    assert door.eta is not None
    assert door.eta >= slot - timedelta(minutes=5)


def test_with_no_courier_on_shift_cycles_go_on_numbered_and_the_order_waits(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    placed = alliance.order(("pho-turenne", "Nems (4)", 1), key="nobody")
    only_on_shift(session, clock)  # the courier goes home before any plan is made
    first = cycle(session, geography, settings, clock)
    second = cycle(session, geography, settings, clock)
    assert (first.couriers, first.unassigned) == (0, [placed["id"]])
    assert second.unassigned == [placed["id"]]
    # Each cycle its own number, though neither wrote a round.
    assert second.version == first.version + 1
    assert session.exec(select(Stop)).all() == []


def test_a_courier_is_committed_to_a_pickup_only_once_it_is_time_to_set_off(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    alliance.order(("comptoir-oberkampf", "Croque-monsieur", 1), key="soon")
    cycle(session, geography, settings, clock)
    pickup = session.exec(select(Stop).where(Stop.kind == StopKind.PICKUP)).one()
    assert pickup.eta is not None
    assert pickup.leave_at is not None
    # The kitchen cooks for the courier, a few minutes' ride away: it leaves just in time.
    assert clock.now() < pickup.leave_at < pickup.eta
    listed = client.get("/api/v1/courier/round", headers=alliance.courier(1)).json()
    assert listed["stops"][0]["leave_at"] is not None

    rules = replace(rules_from(settings), time_limit_s=0.3)
    (rider,) = take_snapshot(session, geography, rules, clock.now()).problem.couriers
    assert rider.locked_next is None, "not set off yet: the next plan may send it elsewhere"
    clock.moment = pickup.leave_at + timedelta(seconds=1)
    (rider,) = take_snapshot(session, geography, rules, clock.now()).problem.couriers
    assert rider.locked_next == ("pickup", pickup.ticket_id)


def test_once_its_kitchen_cooks_for_a_courier_the_order_stays_with_that_courier(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_BRETAGNE)
    placed = alliance.order(("comptoir-oberkampf", "Croque-monsieur", 1), key="cooking-for")
    ticket_id = placed["tickets"][0]["id"]
    cycle(session, geography, settings, clock)
    rules = replace(rules_from(settings), time_limit_s=0.3)
    (task,) = take_snapshot(session, geography, rules, clock.now()).problem.orders
    assert task.cooking_for is None, "not started: the next plan may give it to another"

    kitchen = alliance.kitchen("comptoir-oberkampf")
    response = client.post(f"/api/v1/kitchen/tickets/{ticket_id}/start", headers=kitchen)
    assert response.status_code == 200, response.text
    first = session.exec(select(Round)).one().courier_id
    (task,) = take_snapshot(session, geography, rules, clock.now()).problem.orders
    assert task.cooking_for == first

    # A courier starts at the kitchen's door: the food cooks for the first one, who comes.
    alliance.start_shift(2, NEAR_OBERKAMPF)
    cycle(session, geography, settings, clock)
    pickup = session.exec(select(Stop).where(Stop.ticket_id == ticket_id)).one()
    kept = session.get(Round, pickup.round_id)
    assert kept is not None
    assert kept.courier_id == first
