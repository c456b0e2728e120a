"""Exactly one dispatcher leads: two `chaud dispatcher run` processes, the leader killed.

Runs on a database of its own (the processes commit for real). On PostgreSQL the lead is an
advisory lock; on SQLite a file lock beside the database.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from api.app import create_app
from api.clock import FixedClock
from api.db import create_db_engine
from api.models import Order
from api.settings import load_settings
from tests.accounts import headers_for
from tests.databases import FRIDAY_EVENING, drop_database, seeded_database
from tests.test_dispatch_zones import CREPE, CROQUE, NEMS, WEST_EAST
from tests.test_quotes import cart
from tests.waiting import wait_for

CYCLE_S = 2.0
TWO_COURIERS_FOR_ONE_ORDER = sa.text(
    "SELECT stops.order_id FROM stops JOIN rounds ON rounds.id = stops.round_id "
    "WHERE stops.done_at IS NULL GROUP BY stops.order_id "
    "HAVING count(DISTINCT rounds.courier_id) > 1"
)
UNPLANNED_ORDERS = sa.text(
    "SELECT count(*) FROM orders WHERE NOT EXISTS "
    "(SELECT 1 FROM stops WHERE stops.order_id = orders.id AND stops.kind = 'dropoff')"
)


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    url = seeded_database(backend, tmp_path)
    yield url
    drop_database(backend, url)


class DispatcherProcess:
    def __init__(
        self,
        name: str,
        database_url: str,
        folder: Path,
        cache: Path,
        zone: str | None = None,
        zones_file: Path | None = None,
    ) -> None:
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "CHAUD_DATABASE_URL": database_url,
            "CHAUD_DATA_DIR": str(folder),
            "CHAUD_CACHE_DIR": str(cache),
            "CHAUD_DISPATCH_CYCLE_S": str(CYCLE_S),
            "CHAUD_DISPATCH_TIME_LIMIT_S": "0.3",
            "CHAUD_DISPATCH_POLL_S": "0.2",
            # The dispatcher lives on the test's Friday evening, not on today's calendar.
            "CHAUD_CLOCK_START": FRIDAY_EVENING.isoformat(),
            **({"CHAUD_DISPATCH_ZONES_FILE": str(zones_file)} if zones_file else {}),
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "api.cli",
                    "dispatcher",
                    "run",
                    *(["--zone", zone] if zone else []),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def leading(self) -> bool:
        return "dispatcher leading" in self.log.read_text()

    def standing_by(self) -> bool:
        """Started (which takes a while on a loaded machine) and polling for the lead."""
        return "dispatcher standing by" in self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=20)


@contextmanager
def two_couriers_watch(engine: sa.Engine) -> Iterator[list[list[int]]]:
    """The orders found on two couriers at once, looked for every 20 ms in a thread of its own
    until the block ends."""
    violations: list[list[int]] = []
    watching = threading.Event()

    def watch() -> None:
        with engine.connect() as connection:
            while not watching.is_set():
                found = [row[0] for row in connection.execute(TWO_COURIERS_FOR_ONE_ORDER)]
                connection.rollback()
                if found:
                    violations.append(found)
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield violations
    finally:
        watching.set()
        watcher.join()


class Evening:
    """Couriers 1 (near Oberkampf) and 2 (near Bretagne) on shift, and a customer who orders,
    through the API of the database the dispatchers plan."""

    def __init__(self, engine: sa.Engine, database_url: str, folder: Path, cache: Path) -> None:
        self.engine = engine
        self.settings = load_settings(database_url=database_url, data_dir=folder, cache_dir=cache)
        self.clock = FixedClock(FRIDAY_EVENING)
        self.app = create_app(self.settings, engine=engine, clock=self.clock)

    @contextmanager
    def open(self) -> Iterator["Evening"]:
        with Session(self.engine) as session, TestClient(self.app) as client:
            self.session, self.client = session, client
            self.customer = headers_for(session, self.settings, self.clock, "customer@chaud.demo")
            for number, where in ((1, (48.8646, 2.3700)), (2, (48.8628, 2.3640))):
                email = f"courier-{number}@chaud.demo"
                r = client.post(
                    "/api/v1/courier/shift/start",
                    json={"lat": where[0], "lon": where[1]},
                    headers=headers_for(session, self.settings, self.clock, email),
                )
                assert r.status_code == 200, r.text
            yield self

    def place(self, key: str, *picks: tuple[str, str, int]) -> None:
        r = self.client.post(
            "/api/v1/orders",
            json=cart(self.session, *picks),
            headers={**self.customer, "Idempotency-Key": key},
        )
        assert r.status_code == 201, r.text

    def all_planned(self) -> bool:
        with self.engine.connect() as connection:
            return int(connection.execute(UNPLANNED_ORDERS).scalar_one()) == 0


def test_a_standby_takes_over_and_no_order_is_ever_on_two_couriers(
    fresh_database: str, tmp_path: Path, graph_cache: Path
) -> None:
    engine = create_db_engine(fresh_database)
    evening = Evening(engine, fresh_database, tmp_path, graph_cache)
    first = DispatcherProcess("first", fresh_database, tmp_path, graph_cache)
    second: DispatcherProcess | None = None
    try:
        with two_couriers_watch(engine) as violations:
            wait_for(first.leading, 60)
            second = DispatcherProcess("second", fresh_database, tmp_path, graph_cache)
            wait_for(second.standing_by, 60)
            time.sleep(1)
            assert not second.leading(), "two dispatchers lead at once"

            with evening.open():
                evening.place("a", ("pho-turenne", "Nems (4)", 1))
                evening.place(
                    "b",
                    ("comptoir-oberkampf", "Croque-monsieur", 1),
                    ("creperie-bretagne", "Galette complète", 1),
                    ("pho-turenne", "Nems (4)", 1),
                )
                evening.place("c", ("creperie-bretagne", "Crêpe beurre sucre", 2))
                wait_for(evening.all_planned, 30)
                first.stop(signal.SIGKILL)
                takeover_s = wait_for(second.leading, 30)
                print(f"standby took the lead {takeover_s:.2f} s after the leader was killed")
                assert takeover_s <= CYCLE_S + 2
                evening.place("d", ("comptoir-oberkampf", "Croque-monsieur", 2))
                wait_for(evening.all_planned, 30)
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            second.stop()
        engine.dispose()
    assert second.process.returncode == 0, second.log.read_text()
    assert violations == []


def test_each_zone_has_its_own_leader_and_standby(
    fresh_database: str, tmp_path: Path, graph_cache: Path
) -> None:
    """West and east of Rue de Turenne: kill the west's leader, the west's standby takes over,
    the east's leader plans on undisturbed, and no order is ever on two couriers."""
    zones_file = tmp_path / "zones.geojson"
    zones_file.write_text(WEST_EAST.to_geojson())
    engine = create_db_engine(fresh_database)
    evening = Evening(engine, fresh_database, tmp_path, graph_cache)

    def start(name: str, zone: str) -> DispatcherProcess:
        return DispatcherProcess(name, fresh_database, tmp_path, graph_cache, zone, zones_file)

    east = start("east", "east")
    west = start("west", "west")
    standby: DispatcherProcess | None = None
    try:
        with two_couriers_watch(engine) as violations:
            wait_for(lambda: east.leading() and west.leading(), 60)
            standby = start("west-standby", "west")
            wait_for(standby.standing_by, 60)
            time.sleep(1)
            assert not standby.leading(), "two dispatchers lead the west at once"

            with evening.open():
                evening.place("east", CROQUE)
                evening.place("west", CREPE)
                evening.place("both", CROQUE, CREPE, NEMS)
                wait_for(evening.all_planned, 30)
                west.stop(signal.SIGKILL)
                takeover_s = wait_for(standby.leading, 30)
                print(f"the west's standby took the lead {takeover_s:.2f} s after its leader died")
                assert takeover_s <= CYCLE_S + 2
                evening.place("west-again", NEMS)
                evening.place("east-again", CROQUE)
                wait_for(evening.all_planned, 30)
                with engine.connect() as connection:
                    zones = connection.execute(sa.select(col(Order.zone))).scalars().all()
                assert sorted(z or "" for z in zones) == ["east", "east", "west", "west", "west"]
    finally:
        west.stop(signal.SIGKILL)
        east.stop()
        if standby is not None:
            standby.stop()
        engine.dispose()
    assert east.process.returncode == 0, east.log.read_text()
    assert standby.process.returncode == 0, standby.log.read_text()
    assert violations == []
