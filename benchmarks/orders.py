"""Order-placement benchmark against a real uvicorn server, on SQLite and on PostgreSQL.

    python -m benchmarks.orders [--seconds 15] [--clients 16] [--postgres-url URL]

16 concurrent clients place orders (1 to 3 kitchens each, unique idempotency keys) for a
fixed time; the same clients then call a no-op endpoint (/healthz) for as long, so the
ratio shows what an order costs. One line per database, then the JSON summary last.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlmodel import Session, select

from api import migrate
from api.db import create_db_engine, writer
from api.demo.seed import seed_demo, start_demo_shifts
from api.models import Dish
from benchmarks.scratch_db import scratch_postgres

FRIDAY_EVENING = "2026-11-27T19:30:00+01:00"
DINNER_TEAM = (1, 2, 4, 5, 6, 8)
DESTINATIONS = [  # street-side points of the demo map
    {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"},
    {"lat": 48.866272, "lon": 2.367404, "address": "Rue de Malte"},
    {"lat": 48.861928, "lon": 2.372221, "address": "Rue Saint-Sébastien"},
    {"lat": 48.864586, "lon": 2.356822, "address": "Rue Volta"},
    {"lat": 48.868477, "lon": 2.369772, "address": "Rue de la Fontaine au Roi"},
]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _prepare(database_url: str) -> dict[int, list[int]]:
    """Migrate and seed; the dishes without a daily limit, by restaurant.

    Only dishes that keep 25 min: any two or three demo kitchens can bring those to any of
    the DESTINATIONS hot, so no cart is refused for that (the load is on the order path)."""
    migrate.upgrade(database_url)
    engine = create_db_engine(database_url)
    with Session(writer(engine)) as session:
        seed_demo(session)
        # Couriers out on the evening: without one, no order is quoted as soon as possible.
        start_demo_shifts(
            session, DINNER_TEAM, datetime.fromisoformat(FRIDAY_EVENING), "Europe/Paris"
        )
    with Session(engine) as session:
        dishes = session.exec(
            select(Dish).where(Dish.daily_portions == None, Dish.freshness_minutes >= 25)  # noqa: E711
        ).all()
    engine.dispose()
    menu: dict[int, list[int]] = {}
    for dish in dishes:
        assert dish.id is not None
        menu.setdefault(dish.restaurant_id, []).append(dish.id)
    return menu


def _cart(menu: dict[int, list[int]], rng: random.Random) -> dict[str, Any]:
    kitchens = rng.sample(sorted(menu), rng.choice([1, 1, 2, 3]))
    lines = [
        {"dish_id": dish, "quantity": rng.randint(1, 2)}
        for kitchen in kitchens
        for dish in rng.sample(menu[kitchen], rng.randint(1, 2))
    ]
    return {"lines": lines, "destination": rng.choice(DESTINATIONS)}


async def _sign_up(client: aiohttp.ClientSession, number: int) -> dict[str, str]:
    email = f"bench-{number}-{uuid.uuid4().hex[:6]}@example.org"
    account = {"email": email, "password": "a benchmark pass phrase", "name": "Bench"}
    async with client.post("/api/v1/auth/signup", json=account) as response:
        await response.read()
    form = {"username": email, "password": "a benchmark pass phrase"}
    async with client.post("/api/v1/auth/token", data=form) as response:
        token = (await response.json())["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _load(
    base_url: str, clients: int, seconds: float, menu: dict[int, list[int]] | None
) -> tuple[list[float], float, int]:
    """Latencies (ms) of successful calls, the seconds they took, and the error count.

    The load comes from aiohttp: an httpx client tops out near 500 requests/s on this
    machine, below what the server answers, and would measure itself.
    """
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:
        headers = [await _sign_up(client, i) for i in range(clients)] if menu else [{}] * clients
        deadline = time.perf_counter() + seconds

        async def worker(number: int) -> None:
            nonlocal errors
            rng = random.Random(number)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if menu is None:
                    async with client.get("/healthz") as response:
                        await response.read()
                        ok = response.status == 200
                else:
                    key = {"Idempotency-Key": uuid.uuid4().hex}
                    async with client.post(
                        "/api/v1/orders", json=_cart(menu, rng), headers={**headers[number], **key}
                    ) as response:
                        await response.read()
                        ok = response.status == 201
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, errors


ONE_ADDRESS_FOR_EVERYONE = {
    # Every simulated customer signs up and in from this one loopback address: the limits
    # per address (sized for one person) would measure themselves instead of the order path.
    "CHAUD_SIGNUPS_PER_HOUR": "100000",
    "CHAUD_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
}


def _serve(
    database_url: str, port: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.serve", database_url, str(port), FRIDAY_EVENING],
        env={**os.environ, **ONE_ADDRESS_FOR_EVERYONE, **(env or {})},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError("the server did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    database: str, database_url: str, clients: int, seconds: float, port: int
) -> dict[str, Any]:
    menu = _prepare(database_url)
    port = port or _free_port()
    server = _serve(database_url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_load(base, clients, 2, menu))  # warm-up: caches, pools, JIT-free paths
        latencies, elapsed, errors = asyncio.run(_load(base, clients, seconds, menu))
        noop_latencies, noop_elapsed, noop_errors = asyncio.run(_load(base, clients, seconds, None))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "database": database,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "orders": len(latencies),
        "orders_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "errors": errors,
        "noop_requests_per_s": round(len(noop_latencies) / noop_elapsed, 1),
        "noop_p99_ms": round(_percentile(noop_latencies, 0.99), 1),
        "noop_errors": noop_errors,
    }
    print(json.dumps(result), flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CHAUD_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
        help="a PostgreSQL server where a throw-away database is created ('' to skip)",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)

    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
            results.append(run("sqlite", sqlite_url, args.clients, args.seconds, args.port))
    if args.postgres_url:
        with scratch_postgres(args.postgres_url) as url:
            results.append(run("postgresql", url, args.clients, args.seconds, args.port))
    summary = {"results": results}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
