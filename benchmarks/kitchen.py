"""Kitchen screens under load: commit-to-screen latency and lost tickets, over several workers.

    python -m benchmarks.kitchen [--screens 200] [--workers 2] [--rate 10] [--seconds 20]
        [--postgres-url URL] [--kill-at S --restart-at S]

A throw-away PostgreSQL database; WORKERS API processes (`benchmarks.serve`, each its own
uvicorn) on their own ports; SCREENS websocket screens spread over the workers and the ten
demo kitchens; once every screen has its first answer, orders placed at RATE per second
through the workers in turn. Latency is the screen's receipt time minus the event's outbox
timestamp (written just before commit, so it is slightly pessimistic). Afterwards every
ticket in the database is checked against every screen of its restaurant: lost = a screen
that never got it, duplicated = a screen that got its creation event twice. `--kill-at`
kills worker 0 (SIGKILL) mid-stream and `--restart-at` starts it again; its screens
reconnect (to the other worker first) and resume by sequence. Prints the JSON summary as the
last line.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import websockets
from sqlmodel import Session, select
from websockets.asyncio.client import connect

from api.db import create_db_engine
from api.models import Ticket, User
from api.security import create_access_token
from api.settings import load_settings
from benchmarks.orders import FRIDAY_EVENING, _cart, _free_port, _percentile, _prepare, _serve
from benchmarks.scratch_db import scratch_postgres


@dataclass
class ScreenRecord:
    restaurant_id: int
    home: int
    token: str
    last_seq: int | None = None
    created: Counter[int] = field(default_factory=Counter)
    snapshot_tickets: set[int] = field(default_factory=set)
    events: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    snapshots: int = 0
    connections: int = 0
    up: bool = False


@dataclass
class _Connected:
    """Set once every screen has connected at least once."""

    expected: int
    count: int = 0
    all: asyncio.Event = field(default_factory=asyncio.Event)

    def one_more(self) -> None:
        self.count += 1
        if self.count >= self.expected:
            self.all.set()


async def _screen(
    record: ScreenRecord, servers: list[str], stop: asyncio.Event, connected: _Connected
) -> None:
    attempt = 0
    while not stop.is_set():
        base = servers[(record.home + attempt) % len(servers)]
        url = base.replace("http://", "ws://") + "/kitchen/ws"
        try:
            async with connect(url, open_timeout=5, ping_interval=None) as socket:
                hello = {"type": "hello", "token": record.token, "since": record.last_seq}
                await socket.send(json.dumps(hello))
                record.connections += 1
                attempt = 0
                async for raw in socket:
                    received = time.time()
                    message = json.loads(raw)
                    if record.connections == 1 and not record.up:
                        record.up = True  # its first answer: the screen is up
                        connected.one_more()
                    if message["type"] == "snapshot":
                        record.last_seq = message["seq"]
                        record.snapshots += 1
                        record.snapshot_tickets |= {t["ticket_id"] for t in message["tickets"]}
                    elif message["type"] == "event":
                        record.last_seq = message["seq"]
                        record.events[message["event_id"]] += 1
                        if message["kind"] == "ticket.created":
                            record.created[message["payload"]["ticket_id"]] += 1
                            at = datetime.fromisoformat(message["at"]).timestamp()
                            record.latencies_ms.append((received - at) * 1000)
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            attempt += 1
            await asyncio.sleep(0.2)


async def _orders(
    servers: list[str], menu: dict[int, list[int]], token: str, rate: float, seconds: float
) -> tuple[int, int]:
    rng = random.Random(7)
    placed = errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as client:

        async def one(number: int) -> None:
            nonlocal placed, errors
            base = servers[number % len(servers)]
            try:
                response = await client.post(
                    f"{base}/api/v1/orders",
                    json=_cart(menu, rng),
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                )
                placed += response.status_code == 201
                errors += response.status_code != 201
            except httpx.TransportError:
                errors += 1  # the worker died under it: the database says what committed

        tasks = []
        began = time.monotonic()
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(number)))
        await asyncio.gather(*tasks)
    return placed, errors


def screens_missed(records: list[ScreenRecord], tickets: list[tuple[int, int]]) -> tuple[int, int]:
    """(lost, duplicated): every ticket (id, restaurant) against every screen of its
    restaurant, and every event a screen got twice."""
    lost = duplicated = 0
    for record in records:
        for ticket_id, restaurant_id in tickets:
            if restaurant_id != record.restaurant_id:
                continue
            got = record.created[ticket_id] + (ticket_id in record.snapshot_tickets)
            lost += got == 0
            duplicated += record.created[ticket_id] > 1
        duplicated += sum(1 for count in record.events.values() if count > 1)
    return lost, duplicated


async def stop_all(
    stop: asyncio.Event,
    tasks: list[asyncio.Task[None]],
    processes: list["subprocess.Popen[bytes]"],
) -> None:
    """The screens, then the API workers."""
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def _tokens(database_url: str, secret: str) -> tuple[str, dict[int, str]]:
    engine = create_db_engine(database_url)
    now = datetime.fromisoformat(FRIDAY_EVENING)
    with Session(engine) as session:
        users = session.exec(select(User)).all()
    engine.dispose()
    kitchens = {
        u.restaurant_id: create_access_token(u.id or 0, "kitchen", secret, now, timedelta(hours=2))
        for u in users
        if u.role.value == "kitchen" and u.restaurant_id is not None
    }
    customer = next(u for u in users if u.email == "customer@chaud.demo")
    return create_access_token(
        customer.id or 0, "customer", secret, now, timedelta(hours=2)
    ), kitchens


async def _run(
    database_url: str,
    screens: int,
    workers: int,
    rate: float,
    seconds: float,
    kill_at: float | None,
    restart_at: float | None,
) -> dict[str, Any]:
    menu = _prepare(database_url)
    secret = load_settings(database_url=database_url).secret_key.get_secret_value()
    customer, kitchens = _tokens(database_url, secret)
    ports = [_free_port() for _ in range(workers)]
    processes = [_serve(database_url, port) for port in ports]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    restaurants = sorted(kitchens)
    records = [
        ScreenRecord(
            restaurants[i % len(restaurants)],
            i % workers,
            kitchens[restaurants[i % len(restaurants)]],
        )
        for i in range(screens)
    ]
    stop = asyncio.Event()
    connected = _Connected(screens)
    screen_tasks = [asyncio.create_task(_screen(r, servers, stop, connected)) for r in records]
    try:
        await asyncio.wait_for(connected.all.wait(), 60)

        async def fault() -> None:
            if kill_at is None:
                return
            await asyncio.sleep(kill_at)
            processes[0].kill()
            processes[0].wait()
            if restart_at is not None:
                await asyncio.sleep(max(0.0, restart_at - kill_at))
                processes[0] = await asyncio.to_thread(_serve, database_url, ports[0])

        (placed, errors), _ = await asyncio.gather(
            _orders(servers, menu, customer, rate, seconds), fault()
        )
        await asyncio.sleep(3)  # let the last events arrive
    finally:
        await stop_all(stop, screen_tasks, processes)

    engine = create_db_engine(database_url)
    with Session(engine) as session:
        tickets = [(t.id or 0, t.restaurant_id) for t in session.exec(select(Ticket)).all()]
    engine.dispose()
    lost, duplicated = screens_missed(records, tickets)
    latencies = [value for r in records for value in r.latencies_ms]
    return {
        "benchmark": "kitchen",
        "screens": screens,
        "workers": workers,
        "orders": placed,
        "order_errors": errors,
        "tickets": len(tickets),
        "deliveries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "lost": lost,
        "duplicated": duplicated,
        "snapshots": sum(r.snapshots for r in records),
        "connections": sum(r.connections for r in records),
        "killed_worker": kill_at is not None,
    }


def run(
    postgres_url: str,
    screens: int = 200,
    workers: int = 2,
    rate: float = 10,
    seconds: float = 20,
    kill_at: float | None = None,
    restart_at: float | None = None,
) -> dict[str, Any]:
    with scratch_postgres(postgres_url) as url:
        return asyncio.run(_run(url, screens, workers, rate, seconds, kill_at, restart_at))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=10, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kill-at", type=float, default=None)
    parser.add_argument("--restart-at", type=float, default=None)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CHAUD_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
    )
    args = parser.parse_args(argv)
    result = run(
        args.postgres_url,
        args.screens,
        args.workers,
        args.rate,
        args.seconds,
        args.kill_at,
        args.restart_at,
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
