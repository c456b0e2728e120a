"""The courier's and the customer's live feeds over a real websocket: each hears only its own
channel (another customer's order is refused like a missing one), and hears it at once."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from api.clock import FixedClock
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_kitchen_ws import Board, place_order


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, graph_cache: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp(f"page-feeds-{backend}")
    with live_server(backend, folder, graph_cache, FixedClock(FRIDAY_EVENING)) as live:
        yield live


def refused(server: LiveServer, path: str, email: str) -> bool:
    with connect(server.url.replace("http://", "ws://") + path, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "token": server.token(email), "since": None}))
        return bool(json.loads(socket.recv(timeout=5))["error"] == "unauthorized")


def test_an_order_page_hears_its_own_order_and_nobody_elses(server: LiveServer) -> None:
    order = place_order(server, "Nems")
    path = f"/orders/{order['id']}/ws"
    httpx.post(
        f"{server.url}/api/v1/auth/signup",
        json={"email": "eve@example.org", "password": "long enough pass", "name": "Eve"},
    )
    assert refused(server, path, "eve@example.org")
    assert refused(server, path, "courier-1@chaud.demo")
    assert refused(server, "/orders/999999/ws", "customer@chaud.demo")
    page = Board(server, "", path=path, email="customer@chaud.demo")
    assert page.next()["type"] == "snapshot"
    kitchen = server.headers("kitchen-pho-turenne@chaud.demo")
    ticket = order["tickets"][0]["id"]
    assert httpx.post(f"{server.url}/api/v1/kitchen/tickets/{ticket}/accept", headers=kitchen)
    event = page.next()
    assert (event["kind"], event["payload"]["status"]) == ("order.status", "confirmed")


def test_a_courier_page_hears_its_own_shift(server: LiveServer) -> None:
    assert refused(server, "/courier/ws", "customer@chaud.demo")
    page = Board(server, "", path="/courier/ws", email="courier-3@chaud.demo")
    assert page.next()["type"] == "snapshot"
    other = Board(server, "", path="/courier/ws", email="courier-4@chaud.demo")
    assert other.next()["type"] == "snapshot"
    started = httpx.post(
        f"{server.url}/api/v1/courier/shift/start",
        json={"lat": 48.8646, "lon": 2.3700},
        headers=server.headers("courier-3@chaud.demo"),
    )
    assert started.status_code == 200, started.text
    assert page.next()["kind"] == "courier.shift_started"
    assert other.quiet_for(1.0) == []
