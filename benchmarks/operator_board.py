"""Operator boards and kitchen screens together: commit-to-screen latency, and nothing lost.

    python -m benchmarks.operator_board [--operators 20] [--kitchens 40] [--workers 2]
        [--rate 10] [--seconds 20] [--postgres-url URL]

A throw-away PostgreSQL database; WORKERS API processes (`benchmarks.serve`); OPERATORS
boards on /ops/ws and KITCHENS screens on /kitchen/ws spread over the workers; orders placed
at RATE per second, and each kitchen accepting its tickets as they come (each accept is one
more board update). Orders start once every screen has its first answer (the snapshots are
computed by then). Latency is a screen's receipt time minus the event's outbox timestamp
(written just before commit: slightly pessimistic). Afterwards every board's events are
checked against the operator channels in the database: lost = a sequence number after the
board's snapshot it never received, duplicated = one received twice. Kitchen screens are
checked as in benchmarks.kitchen. Prints the JSON summary as the last line.
"""

import argparse
import asyncio
import json
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import websockets
from sqlmodel import Session, col, func, select
from websockets.asyncio.client import connect

from api.db import create_db_engine
from api.models import OutboxEvent, Ticket, User
from api.security import create_access_token
from api.services.outbox import OPERATOR_CHANNELS
from api.settings import load_settings
from benchmarks.kitchen import (
    ScreenRecord,
    _Connected,
    _orders,
    _screen,
    screens_missed,
    stop_all,
)
from benchmarks.orders import FRIDAY_EVENING, _free_port, _percentile, _prepare, _serve
from benchmarks.scratch_db import scratch_postgres


@dataclass
class BoardRecord:
    home: int
    token: str
    snapshot_seqs: dict[str, int] | None = None
    seqs: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    connections: int = 0


async def _board(
    record: BoardRecord, servers: list[str], stop: asyncio.Event, connected: _Connected
) -> None:
    attempt = 0
    last: dict[str, int] | None = None
    while not stop.is_set():
        base = servers[(record.home + attempt) % len(servers)]
        try:
            async with connect(
                base.replace("http://", "ws://") + "/ops/ws", open_timeout=5, ping_interval=None
            ) as socket:
                hello = {"type": "hello", "token": record.token, "since": last}
                await socket.send(json.dumps(hello))
                record.connections += 1
                attempt = 0
                async for raw in socket:
                    received = time.time()
                    message = json.loads(raw)
                    if message["type"] == "snapshot":
                        last = dict(message["seqs"])
                        if record.snapshot_seqs is None:
                            record.snapshot_seqs = dict(last)
                            connected.one_more()  # the board is up: orders may flow
                    elif message["type"] == "event":
                        assert last is not None
                        last[message["channel"]] = message["seq"]
                        record.seqs[(message["channel"], message["seq"])] += 1
                        at = datetime.fromisoformat(message["at"]).timestamp()
                        record.latencies_ms.append((received - at) * 1000)
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            attempt += 1
            await asyncio.sleep(0.2)


async def _accepting(
    servers: list[str], kitchens: dict[int, str], database_url: str, stop: asyncio.Event
) -> int:
    """Each kitchen accepts its new tickets every half second: more rows for the boards."""
    engine = create_db_engine(database_url)
    accepted = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            with Session(engine) as session:
                waiting = session.exec(
                    select(Ticket.id, Ticket.restaurant_id).where(Ticket.status == "new")
                ).all()
            for number, (ticket_id, restaurant_id) in enumerate(waiting):
                response = await client.post(
                    f"{servers[number % len(servers)]}/api/v1/kitchen/tickets/{ticket_id}/accept",
                    headers={"Authorization": f"Bearer {kitchens[restaurant_id]}"},
                )
                accepted += response.status_code == 200
            await asyncio.sleep(0.5)
    engine.dispose()
    return accepted


def _tokens(database_url: str, secret: str) -> tuple[str, str, dict[int, str]]:
    engine = create_db_engine(database_url)
    now = datetime.fromisoformat(FRIDAY_EVENING)
    with Session(engine) as session:
        users = session.exec(select(User)).all()
    engine.dispose()

    def token(user: User) -> str:
        return create_access_token(user.id or 0, user.role.value, secret, now, timedelta(hours=2))

    kitchens = {u.restaurant_id: token(u) for u in users if u.restaurant_id is not None}
    customer = next(u for u in users if u.email == "customer@chaud.demo")
    operator = next(u for u in users if u.email == "operator@chaud.demo")
    return token(customer), token(operator), kitchens


async def _run(
    database_url: str,
    operators: int,
    kitchen_screens: int,
    workers: int,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    menu = _prepare(database_url)
    secret = load_settings(database_url=database_url).secret_key.get_secret_value()
    customer, operator, kitchens = _tokens(database_url, secret)
    ports = [_free_port() for _ in range(workers)]
    processes = [_serve(database_url, port) for port in ports]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    restaurants = sorted(kitchens)
    boards = [BoardRecord(i % workers, operator) for i in range(operators)]
    screens = [
        ScreenRecord(
            restaurants[i % len(restaurants)],
            i % workers,
            kitchens[restaurants[i % len(restaurants)]],
        )
        for i in range(kitchen_screens)
    ]
    stop, accepting_stop = asyncio.Event(), asyncio.Event()
    connected = _Connected(operators + kitchen_screens)
    tasks = [asyncio.create_task(_board(b, servers, stop, connected)) for b in boards]
    tasks += [asyncio.create_task(_screen(s, servers, stop, connected)) for s in screens]
    try:
        await asyncio.wait_for(connected.all.wait(), 60)
        acceptor = asyncio.create_task(_accepting(servers, kitchens, database_url, accepting_stop))
        placed, errors = await _orders(servers, menu, customer, rate, seconds)
        accepting_stop.set()
        accepted = await acceptor
        await asyncio.sleep(3)  # let the last events arrive
    finally:
        await stop_all(stop, tasks, processes)

    engine = create_db_engine(database_url)
    with Session(engine) as session:
        last_seqs = dict(
            session.exec(
                select(OutboxEvent.channel, func.max(OutboxEvent.sequence))
                .where(col(OutboxEvent.channel).in_(OPERATOR_CHANNELS))
                .group_by(col(OutboxEvent.channel))
            ).all()
        )
        tickets = [(t.id or 0, t.restaurant_id) for t in session.exec(select(Ticket)).all()]
        board_events = session.exec(
            select(func.count()).where(
                col(OutboxEvent.channel).in_(OPERATOR_CHANNELS),
                col(OutboxEvent.kind).like("board.%"),
            )
        ).one()
    engine.dispose()
    lost = duplicated = 0
    for board in boards:
        start = board.snapshot_seqs or {}
        for channel, last in last_seqs.items():
            missing = range(start.get(channel, 0) + 1, last + 1)
            lost += sum(1 for seq in missing if board.seqs[(channel, seq)] == 0)
        duplicated += sum(1 for count in board.seqs.values() if count > 1)
    kitchen_lost, kitchen_duplicated = screens_missed(screens, tickets)
    lost, duplicated = lost + kitchen_lost, duplicated + kitchen_duplicated
    board_ms = [v for b in boards for v in b.latencies_ms]
    kitchen_ms = [v for s in screens for v in s.latencies_ms]
    return {
        "benchmark": "operator_board",
        "operator_screens": operators,
        "kitchen_screens": kitchen_screens,
        "workers": workers,
        "orders": placed,
        "order_errors": errors,
        "accepted": accepted,
        "events": int(board_events),
        "operator_deliveries": len(board_ms),
        "operator_p50_ms": round(statistics.median(board_ms), 1) if board_ms else None,
        "operator_p99_ms": round(_percentile(board_ms, 0.99), 1) if board_ms else None,
        "kitchen_deliveries": len(kitchen_ms),
        "kitchen_p50_ms": round(statistics.median(kitchen_ms), 1) if kitchen_ms else None,
        "kitchen_p99_ms": round(_percentile(kitchen_ms, 0.99), 1) if kitchen_ms else None,
        "lost": lost,
        "duplicated": duplicated,
        "connections": sum(b.connections for b in boards) + sum(s.connections for s in screens),
    }


def run(
    postgres_url: str,
    operators: int = 20,
    kitchen_screens: int = 40,
    workers: int = 2,
    rate: float = 10,
    seconds: float = 20,
) -> dict[str, Any]:
    with scratch_postgres(postgres_url) as url:
        return asyncio.run(_run(url, operators, kitchen_screens, workers, rate, seconds))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--kitchens", type=int, default=40, help="kitchen screens")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=10, help="orders per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CHAUD_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
    )
    args = parser.parse_args(argv)
    result = run(
        args.postgres_url, args.operators, args.kitchens, args.workers, args.rate, args.seconds
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
