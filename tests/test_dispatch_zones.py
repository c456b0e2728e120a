"""A city in two zones, west and east of Rue de Turenne: each zone's dispatcher plans its own
orders on its own couriers, lends an idle courier to the other and gets it back.

Cycles run in the test's transaction, as in test_dispatcher.
"""

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.clock import FixedClock
from api.db import create_db_engine, writer
from api.dispatcher.cycle import CycleReport, ZoneScope, rules_from, run_cycle
from api.dispatcher.persist import persist_plan
from api.dispatcher.snapshot import take_snapshot
from api.dispatcher.zones import ZONE_EVENT, claim, lend
from api.models import (
    Courier,
    CourierShift,
    Order,
    OutboxEvent,
    Round,
    Stop,
    StopKind,
    User,
)
from api.settings import Settings, load_settings
from dispatch.geo.geography import Geography
from dispatch.planning.problem import Unplaced
from dispatch.planning.solver import solve
from dispatch.planning.zones import Zone, ZoneMap
from tests.accounts import headers_for
from tests.databases import FRIDAY_EVENING, drop_database, seeded_database
from tests.test_dispatcher import NEAR_BRETAGNE, NEAR_OBERKAMPF, Alliance, until_written
from tests.test_quotes import cart

TURENNE_LON = 2.3655
WEST_EAST = ZoneMap(
    [
        Zone("west", ((48.80, 2.30), (48.92, 2.30), (48.92, TURENNE_LON), (48.80, TURENNE_LON))),
        Zone("east", ((48.80, TURENNE_LON), (48.92, TURENNE_LON), (48.92, 2.45), (48.80, 2.45))),
    ]
)
NEAR_TIMBAUD = {"lat": 48.8684, "lon": 2.3790}
CREPE = ("creperie-bretagne", "Galette complète", 1)  # west
NEMS = ("pho-turenne", "Nems (4)", 1)  # west
CROQUE = ("comptoir-oberkampf", "Croque-monsieur", 1)  # east


def zone_cycle(
    session: Session,
    geography: Geography,
    settings: Settings,
    clock: FixedClock,
    zone: str,
    reserve: int = 1,
) -> CycleReport:
    rules = replace(rules_from(settings), time_limit_s=0.3)
    scope = ZoneScope(WEST_EAST, zone, lend_reserve=reserve)
    return until_written(lambda: run_cycle(session, session, geography, rules, clock.now(), scope))


def couriers_of(session: Session, order_id: int) -> set[int]:
    return set(
        session.exec(
            select(Round.courier_id).join(Stop).where(Stop.order_id == order_id).distinct()
        ).all()
    )


def courier_id(session: Session, number: int) -> int:
    found = session.exec(
        select(Courier.id).join(User).where(User.email == f"courier-{number}@chaud.demo")
    ).one()
    assert found is not None
    return found


def shift_zones(session: Session, number: int) -> tuple[str | None, str | None]:
    shift = session.exec(
        select(CourierShift).where(
            CourierShift.courier_id == courier_id(session, number),
            col(CourierShift.ended_at).is_(None),
        )
    ).one()
    return shift.zone, shift.home_zone


def test_each_zone_plans_its_own_orders_on_its_own_couriers(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)  # east
    alliance.start_shift(2, NEAR_BRETAGNE)  # west
    east = alliance.order(CROQUE, key="east")
    west = alliance.order(CREPE, key="west")

    report = zone_cycle(session, geography, settings, clock, "east")
    assert (report.orders, report.couriers, report.unassigned) == (1, 1, [])
    assert couriers_of(session, east["id"]) == {courier_id(session, 1)}
    assert couriers_of(session, west["id"]) == set()  # not east's to plan

    report = zone_cycle(session, geography, settings, clock, "west")
    assert (report.orders, report.couriers, report.unassigned) == (1, 1, [])
    assert couriers_of(session, west["id"]) == {courier_id(session, 2)}
    assert couriers_of(session, east["id"]) == {courier_id(session, 1)}  # untouched
    assert shift_zones(session, 1) == ("east", "east")
    assert shift_zones(session, 2) == ("west", "west")
    zones = dict(session.exec(select(Order.id, Order.zone)).all())
    assert (zones[east["id"]], zones[west["id"]]) == ("east", "west")


def test_a_cart_from_both_zones_is_planned_whole_by_the_zone_of_most_of_its_kitchens(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    alliance.start_shift(2, NEAR_BRETAGNE)
    three = alliance.order(CROQUE, CREPE, NEMS, key="three")  # one kitchen east, two west

    assert zone_cycle(session, geography, settings, clock, "east").orders == 0
    assert couriers_of(session, three["id"]) == set()
    assert zone_cycle(session, geography, settings, clock, "west").unassigned == []
    assert couriers_of(session, three["id"]) == {courier_id(session, 2)}
    pickups = session.exec(
        select(Stop).where(Stop.order_id == three["id"], Stop.kind == StopKind.PICKUP)
    ).all()
    assert len(pickups) == 3  # the east kitchen's bag too


def test_a_zone_with_no_free_courier_borrows_one_and_sends_it_home_when_nothing_waits(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)  # east, the nearer to the crêperie
    alliance.start_shift(3, NEAR_TIMBAUD)  # east
    zone_cycle(session, geography, settings, clock, "east")
    west = alliance.order(CREPE, key="west")

    # No courier in the west: the order waits, and the west borrows the east's nearest idle
    # courier (the east keeps one, its reserve).
    report = zone_cycle(session, geography, settings, clock, "west")
    assert report.unassigned == [west["id"]]
    assert shift_zones(session, 1) == ("west", "east")
    assert shift_zones(session, 3) == ("east", "east")
    lent = session.exec(select(OutboxEvent).where(OutboxEvent.kind == ZONE_EVENT)).all()
    assert [e.payload for e in lent] == [
        {"courier_id": courier_id(session, 1), "from": "east", "to": "west"}
    ]

    # Next cycle it takes the order; with food to carry it stays lent.
    assert zone_cycle(session, geography, settings, clock, "west").unassigned == []
    assert couriers_of(session, west["id"]) == {courier_id(session, 1)}
    assert shift_zones(session, 1) == ("west", "east")

    # The kitchen refuses the order: nothing waits in the west, the idle courier goes home.
    ticket = client.get("/api/v1/kitchen/tickets", headers=alliance.kitchen("creperie-bretagne"))
    (only,) = [t for t in ticket.json() if t["order_id"] == west["id"]]
    refused = client.post(
        f"/api/v1/kitchen/tickets/{only['id']}/refuse",
        json={"reason": "out of galettes"},
        headers=alliance.kitchen("creperie-bretagne"),
    )
    assert refused.status_code == 200, refused.text
    zone_cycle(session, geography, settings, clock, "west")
    assert couriers_of(session, west["id"]) == set()
    assert shift_zones(session, 1) == ("east", "east")


def test_a_zone_lends_no_courier_below_its_reserve(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    zone_cycle(session, geography, settings, clock, "east")
    west = alliance.order(CREPE, key="west")

    report = zone_cycle(session, geography, settings, clock, "west", reserve=1)
    assert report.unassigned == [west["id"]]
    assert shift_zones(session, 1) == ("east", "east")
    # With no reserve asked for, the same courier is lent.
    zone_cycle(session, geography, settings, clock, "west", reserve=0)
    assert shift_zones(session, 1) == ("west", "east")


def test_a_courier_lent_while_its_zone_solved_gets_none_of_that_plan(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    east = alliance.order(CROQUE, key="east")
    west = alliance.order(CREPE, key="west")
    rules = replace(rules_from(settings), time_limit_s=0.3)
    claim(session, WEST_EAST, "east")
    claim(session, WEST_EAST, "west")

    # The east plans its order on its only courier; while it solves, the west borrows that
    # courier (idle in the database: the east's plan is not written yet).
    snapshot = take_snapshot(session, geography, rules, clock.now(), "east")
    plan = solve(snapshot.problem)
    assert plan.routes[courier_id(session, 1)]
    assert lend(session, "west", [west["id"]], reserve=0)
    persist_plan(session, snapshot, plan, version=1)

    # The write-back read the courier's zone under its lock: nothing of the east's plan on it.
    assert couriers_of(session, east["id"]) == set()
    assert shift_zones(session, 1) == ("west", "east")
    report = zone_cycle(session, geography, settings, clock, "west")
    assert report.unassigned == []
    assert couriers_of(session, west["id"]) == {courier_id(session, 1)}


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    url = seeded_database(backend, tmp_path, on_shift=(1,))
    yield url
    drop_database(backend, url)


def test_a_lend_waits_for_a_write_back_holding_the_courier_and_then_takes_nothing(
    fresh_database: str, tmp_path: Path, graph_cache: Path, geography: Geography
) -> None:
    """The conflicting pair on real transactions: the east writes a round on its courier while
    the west tries to borrow it. The lend waits for the courier's lock, then finds the round."""
    engine = create_db_engine(fresh_database)
    settings = load_settings(database_url=fresh_database, data_dir=tmp_path, cache_dir=graph_cache)
    clock = FixedClock(FRIDAY_EVENING)
    rules = replace(rules_from(settings), time_limit_s=0.3)
    try:
        with Session(writer(engine)) as east, Session(writer(engine)) as west:
            with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
                customer = headers_for(east, settings, clock, "customer@chaud.demo")
                croque = cart(east, CROQUE)
                east.commit()  # one writer at a time on SQLite: the request's turn
                placed = client.post(
                    "/api/v1/orders", json=croque, headers={**customer, "Idempotency-Key": "east"}
                )
                assert placed.status_code == 201, placed.text
            order, rider = placed.json()["id"], courier_id(east, 1)
            courier = east.get_one(Courier, rider)
            courier.lat, courier.lon = NEAR_OBERKAMPF["lat"], NEAR_OBERKAMPF["lon"]  # east
            east.add(courier)
            east.commit()
            claim(east, WEST_EAST, "east")
            east.commit()
            snapshot = take_snapshot(east, geography, rules, clock.now(), "east")
            plan = solve(snapshot.problem)
            east.commit()
            assert plan.routes[rider]
            persist_plan(east, snapshot, plan, version=1)  # holds the courier's row
            outcome: list[int] = []
            borrower = threading.Thread(
                target=lambda: outcome.append(len(lend(west, "west", [order], reserve=0)))
            )
            borrower.start()
            time.sleep(1.0)
            assert borrower.is_alive(), "the lend did not wait for the courier's lock"
            east.commit()
            borrower.join(timeout=30)
            west.commit()
            assert outcome == [0]
            assert shift_zones(east, 1) == ("east", "east")
            assert couriers_of(east, order) == {rider}
    finally:
        engine.dispose()


def test_the_plan_says_why_the_west_waits(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)  # east's, and its reserve
    zone_cycle(session, geography, settings, clock, "east")
    west = alliance.order(CREPE, key="west")
    zone_cycle(session, geography, settings, clock, "west")
    made = session.exec(
        select(OutboxEvent).where(OutboxEvent.kind == "plan.made").order_by(col(OutboxEvent.id))
    ).all()[-1]
    assert made.payload["zone"] == "west"
    assert made.payload["unplaced"] == {str(west["id"]): Unplaced.NO_COURIER.value}


def test_chaud_zones_suggest_holds_every_kitchen_and_a_dispatcher_must_name_a_real_zone(
    tmp_path: Path, graph_cache: Path
) -> None:
    runner = CliRunner()
    env = {
        "CHAUD_DATABASE_URL": f"sqlite:///{(tmp_path / 'zones.db').as_posix()}",
        "CHAUD_CACHE_DIR": str(graph_cache),
    }
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["seed", "--demo"], env=env).exit_code == 0
    out = tmp_path / "zones.geojson"
    result = runner.invoke(cli, ["zones", "suggest", "--count", "2", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    zones = ZoneMap.from_geojson(out.read_text())
    assert zones.names == ("zone-1", "zone-2")
    held = re.findall(r"(zone-\d): (\d+) kitchens", result.output)
    assert {name for name, _ in held} == {"zone-1", "zone-2"}
    assert sum(int(count) for _, count in held) == 10
    assert all(int(count) > 0 for _, count in held)

    # A dispatcher must be told which of the zones it plans, and only one that exists.
    zoned = {**env, "CHAUD_DISPATCH_ZONES_FILE": str(out)}
    for args, reason in (
        ([], "the city has zones zone-1, zone-2; name one"),
        (["--zone", "zone-9"], "no zone 'zone-9'; the zones are zone-1, zone-2"),
    ):
        refused = runner.invoke(cli, ["dispatcher", "run", "--once", *args], env=zoned)
        assert refused.exit_code != 0
        assert reason in refused.output
    broken = tmp_path / "broken.geojson"
    broken.write_text("{")
    refused = runner.invoke(
        cli, ["dispatcher", "run", "--once"], env={**env, "CHAUD_DISPATCH_ZONES_FILE": str(broken)}
    )
    assert refused.exit_code != 0
    assert "CHAUD_DISPATCH_ZONES_FILE" in refused.output
