"""Kitchen screens over a real websocket: own restaurant only, replay, snapshot, commands.

A live server per backend (the screen's pump reads committed rows from its own connections).
"""

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from api.clock import FixedClock
from api.models import User
from api.security import create_access_token
from kitchen_display import screen as screen_module
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server

PHO, COMPTOIR = "pho-turenne", "comptoir-oberkampf"


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, graph_cache: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp(f"kitchen-ws-{backend}")
    with live_server(backend, folder, graph_cache, FixedClock(FRIDAY_EVENING)) as live:
        yield live


class Board:
    """A kitchen screen, as a test drives it."""

    def __init__(
        self,
        server: LiveServer,
        slug: str,
        since: int | dict[str, int] | None = None,
        path: str = "/kitchen/ws",
        email: str | None = None,
    ) -> None:
        url = server.url.replace("http://", "ws://") + path
        self._stack = ExitStack()
        self.socket: ClientConnection = self._stack.enter_context(connect(url, open_timeout=10))
        token = server.token(email or f"kitchen-{slug}@chaud.demo")
        self.socket.send(json.dumps({"type": "hello", "token": token, "since": since}))
        self.seq = since

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message that is not a heartbeat."""
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message["type"] != "heartbeat":
                if "seq" in message and message["type"] in ("event", "snapshot"):
                    self.seq = message["seq"]
                return dict(message)

    def quiet_for(self, seconds: float) -> list[dict[str, Any]]:
        """Every non-heartbeat message within the time (expected: none)."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.next(timeout=deadline - time.monotonic()))
            except TimeoutError:
                break
        return got

    def command(self, **fields: Any) -> dict[str, Any]:
        self.socket.send(json.dumps({"type": "command", **fields}))
        while True:
            message = self.next()
            if message["type"] == "ack":
                return message

    def close(self) -> None:
        self._stack.close()


def place_order(
    server: LiveServer, dish_query: str, deliver_at: datetime | None = None
) -> dict[str, Any]:
    dish = httpx.get(f"{server.url}/api/v1/dishes", params={"q": dish_query}).json()[0]
    response = httpx.post(
        f"{server.url}/api/v1/orders",
        json={
            "lines": [{"dish_id": dish["id"], "quantity": 2, "note": "no coriander"}],
            "destination": {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"},
            "deliver_at": deliver_at.isoformat() if deliver_at else None,
        },
        headers={
            **server.headers("customer@chaud.demo"),
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_ticket_reaches_its_kitchen_and_never_another(server: LiveServer) -> None:
    pho, comptoir = Board(server, PHO), Board(server, COMPTOIR)
    assert pho.next()["type"] == "snapshot"
    assert comptoir.next()["type"] == "snapshot"
    order = place_order(server, "Nems (4)")
    event = pho.next()
    assert (event["type"], event["kind"]) == ("event", "ticket.created")
    payload = event["payload"]
    assert payload["order_id"] == order["id"]
    (line,) = payload["lines"]
    assert (line["dish_name"], line["quantity"], line["note"]) == ("Nems (4)", 2, "no coriander")
    assert "gluten" in line["allergens"]
    assert comptoir.quiet_for(1.5) == []
    pho.close()
    comptoir.close()


def test_a_reconnecting_screen_gets_what_it_missed_and_nothing_twice(server: LiveServer) -> None:
    first = Board(server, PHO)
    held = first.next()["seq"]
    first.close()
    orders = [place_order(server, "Nems (4)") for _ in range(2)]
    again = Board(server, PHO, since=held)
    missed = [again.next(), again.next()]
    assert [m["seq"] for m in missed] == [held + 1, held + 2]
    assert [m["payload"]["order_id"] for m in missed] == [o["id"] for o in orders]
    assert again.quiet_for(1.0) == []
    again.close()


def test_a_screen_too_far_behind_gets_a_snapshot(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    place_order(server, "Nems (4)")
    monkeypatch.setattr(screen_module, "REPLAY_LIMIT", 0)
    behind = Board(server, PHO, since=0)
    snapshot = behind.next()
    assert snapshot["type"] == "snapshot"
    assert snapshot["tickets"], "the board's open tickets"
    assert all(
        t["restaurant_id"] == snapshot["tickets"][0]["restaurant_id"] for t in snapshot["tickets"]
    )
    behind.close()
    ahead = Board(server, PHO, since=10**6)  # a sequence the server never gave: reset it
    assert ahead.next()["type"] == "snapshot"
    ahead.close()


def test_commands_are_done_once_per_client_id(server: LiveServer) -> None:
    board = Board(server, PHO)
    board.next()
    order = place_order(server, "Nems (4)")
    ticket_id = order["tickets"][0]["id"]
    assert board.next()["kind"] == "ticket.created"
    client_id = str(uuid.uuid4())
    first = board.command(client_id=client_id, action="accept", ticket_id=ticket_id)
    assert first["ok"] is True
    assert first["result"] == {"ticket_id": ticket_id, "status": "accepted"}
    updated = board.next()
    assert (updated["kind"], updated["payload"]["status"]) == ("ticket.updated", "accepted")
    again = board.command(client_id=client_id, action="accept", ticket_id=ticket_id)
    assert again["ok"] is True
    assert again["replayed"] is True
    assert board.quiet_for(1.0) == []  # no second change
    bad = board.command(client_id=str(uuid.uuid4()), action="bump")
    assert (bad["ok"], bad["status"]) == (False, 422)
    board.close()


def test_another_kitchens_ticket_answers_404(server: LiveServer) -> None:
    order = place_order(server, "Nems (4)")
    comptoir = Board(server, COMPTOIR)
    comptoir.next()
    ack = comptoir.command(
        client_id=str(uuid.uuid4()), action="accept", ticket_id=order["tickets"][0]["id"]
    )
    assert (ack["ok"], ack["status"]) == (False, 404)
    comptoir.close()


def test_only_kitchen_accounts_get_a_board(server: LiveServer) -> None:
    url = server.url.replace("http://", "ws://") + "/kitchen/ws"
    with connect(url, open_timeout=10) as socket:
        customer = server.token("customer@chaud.demo")
        socket.send(json.dumps({"type": "hello", "token": customer, "since": None}))
        assert json.loads(socket.recv(timeout=5))["error"] == "unauthorized"
        with pytest.raises(Exception, match="4401"):
            socket.recv(timeout=5)


def close_code(socket: ClientConnection, timeout: float = 10) -> int:
    """Read until the server closes the connection; its close code."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            socket.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1


def hello_with(server: LiveServer, message: str | bytes) -> int:
    """The close code the server answers a first message with."""
    url = server.url.replace("http://", "ws://") + "/kitchen/ws"
    with connect(url, open_timeout=10, max_size=None) as socket:
        socket.send(message)
        return close_code(socket)


def test_malformed_messages_close_the_screen_with_4400(server: LiveServer) -> None:
    token = server.token(f"kitchen-{PHO}@chaud.demo")
    assert hello_with(server, b'{"type": "hello"}') == 4400
    assert hello_with(server, "[" * 30_000 + "]" * 30_000) == 4400  # deep, within the cap
    assert hello_with(server, '{"type": "hello", "token": ') == 4400
    # Past the body limit the server refuses the frame itself: 1009, message too big.
    huge = json.dumps({"type": "hello", "token": token, "padding": "x" * (15 * 1024 * 1024)})
    assert hello_with(server, huge) == 1009


def test_a_screen_is_closed_with_4401_when_its_token_expires(server: LiveServer) -> None:
    url = server.url.replace("http://", "ws://") + "/kitchen/ws"
    with Session(server.engine) as session:
        kitchen = session.exec(select(User).where(User.email == f"kitchen-{PHO}@chaud.demo")).one()
    assert kitchen.id is not None
    short = create_access_token(
        kitchen.id, "kitchen", server.settings_secret, server.clock.now(), timedelta(seconds=2)
    )
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "token": short, "since": None}))
        assert json.loads(socket.recv(timeout=5))["type"] == "snapshot"
        began = time.monotonic()
        assert close_code(socket) == 4401
        assert time.monotonic() - began < 8


@pytest.mark.parametrize("by", ["a command", "the heartbeat"])
def test_a_disabled_account_closes_the_screen(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    if by == "the heartbeat":
        monkeypatch.setattr(screen_module, "HEARTBEAT_S", 0.3)
    board = Board(server, COMPTOIR)
    board.next()
    with server.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE users SET is_active = :no WHERE email = :email"),
            {"no": False, "email": f"kitchen-{COMPTOIR}@chaud.demo"},
        )
    try:
        if by == "a command":
            command = {"type": "command", "client_id": str(uuid.uuid4()), "action": "sold_out"}
            board.socket.send(json.dumps(command))
        assert close_code(board.socket) == 4401
    finally:
        with server.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE users SET is_active = :yes WHERE email = :email"),
                {"yes": True, "email": f"kitchen-{COMPTOIR}@chaud.demo"},
            )
        board.close()


def test_a_nul_in_a_command_is_refused_not_fatal(server: LiveServer) -> None:
    board = Board(server, PHO)
    board.next()
    ack = board.command(client_id="abcdefgh\x00", action="sold_out", dish_id=1)
    assert (ack["ok"], ack["status"]) == (False, 422)
    assert board.command(client_id=str(uuid.uuid4()), action="bump")["status"] == 422
    board.close()
