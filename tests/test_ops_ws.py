"""The operator's board over a real websocket: operators only, rows live, nothing lost."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from api.clock import FixedClock
from api.services.outbox import OPERATOR_CHANNELS
from kitchen_display import screen as screen_module
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_kitchen_ws import Board, place_order

OPERATOR = "operator@chaud.demo"


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, graph_cache: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp(f"ops-ws-{backend}")
    with live_server(backend, folder, graph_cache, FixedClock(FRIDAY_EVENING)) as live:
        yield live


def ops_board(server: LiveServer, since: dict[str, int] | None = None) -> Board:
    return Board(server, "", since, path="/ops/ws", email=OPERATOR)


def rows_of(messages: list[dict[str, Any]], kind: str) -> dict[int, dict[str, Any]]:
    """The last row of each thing of this kind ("orders", …) the messages carried."""
    found: dict[int, dict[str, Any]] = {}
    for message in messages:
        if message.get("kind") == "board.rows":
            for row in message["payload"][kind]:
                found[row["id"]] = row
    return found


def until_quiet(board: Board, seconds: float = 1.5) -> list[dict[str, Any]]:
    return board.quiet_for(seconds)


def test_only_operators_get_the_board(server: LiveServer) -> None:
    url = server.url.replace("http://", "ws://") + "/ops/ws"
    for email in ("kitchen-pho-turenne@chaud.demo", "courier-1@chaud.demo"):
        with connect(url, open_timeout=10) as socket:
            hello = {"type": "hello", "token": server.token(email), "since": None}
            socket.send(json.dumps(hello))
            assert json.loads(socket.recv(timeout=5))["error"] == "unauthorized"
            with pytest.raises(Exception, match="4401"):
                socket.recv(timeout=5)


def test_an_order_comes_live_onto_the_board_with_its_alerts(server: LiveServer) -> None:
    board = ops_board(server)
    snapshot = board.next()
    assert snapshot["type"] == "snapshot"
    assert {"orders", "couriers", "kitchens", "relay_points"} <= set(snapshot["board"])
    order = place_order(server, "Nems (4)")
    rows = rows_of(until_quiet(board), "orders")
    shown = rows[order["id"]]
    assert shown["board_state"] == "waiting_for_kitchen"
    assert "not_accepted" in {a["kind"] for a in shown["alerts"]}
    board.close()


def test_a_reconnecting_board_gets_every_row_it_missed_once(server: LiveServer) -> None:
    """Orders, an acceptance and a pin while the board was away: all of them on return."""
    first = ops_board(server)
    held = first.next()["seqs"]
    first.close()
    orders = [place_order(server, "Nems (4)") for _ in range(2)]
    ticket = orders[0]["tickets"][0]["id"]
    accepted = httpx.post(
        f"{server.url}/api/v1/kitchen/tickets/{ticket}/accept",
        headers=server.headers("kitchen-pho-turenne@chaud.demo"),
    )
    assert accepted.is_success
    operator = server.headers(OPERATOR)
    standby = httpx.get(f"{server.url}/api/v1/ops/board", headers=operator).json()["couriers"][0]
    pinned = httpx.post(
        f"{server.url}/api/v1/ops/orders/{orders[1]['id']}/assign",
        json={"courier_id": standby["id"], "pin": True, "reason": "knows the door"},
        headers=operator,
    )
    assert pinned.is_success, pinned.text
    again = ops_board(server, since=held)
    missed = until_quiet(again)
    got: dict[str, list[int]] = {}
    for message in missed:
        if message["type"] == "event":
            got.setdefault(message["channel"], []).append(message["seq"])
    assert got  # in order on each channel, from what the board held, none twice
    for channel, seqs in got.items():
        assert seqs == list(range(held[channel] + 1, held[channel] + 1 + len(seqs)))
    rows = rows_of(missed, "orders")
    assert rows[orders[0]["id"]]["board_state"] == "cooking"
    assert rows[orders[1]["id"]]["board_state"] == "waiting_for_kitchen"
    # The alert on the order still waiting comes with its row, and so does the pin and its
    # courier's new stops: nothing lost across the gap.
    assert "not_accepted" in {a["kind"] for a in rows[orders[1]["id"]]["alerts"]}
    assert rows[orders[1]["id"]]["pinned_courier_id"] == standby["id"]
    courier = rows_of(missed, "couriers")[standby["id"]]
    assert {s["order_id"] for s in courier["stops"]} == {orders[1]["id"]}
    again.close()


def test_a_board_too_far_behind_gets_the_whole_board(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = place_order(server, "Nems (4)")
    monkeypatch.setattr(screen_module, "REPLAY_LIMIT", 0)
    behind = ops_board(server, since=dict.fromkeys(OPERATOR_CHANNELS, 0))
    snapshot = behind.next()
    assert snapshot["type"] == "snapshot"
    shown = {row["id"]: row for row in snapshot["board"]["orders"]}
    assert "not_accepted" in {a["kind"] for a in shown[order["id"]]["alerts"]}
    behind.close()
