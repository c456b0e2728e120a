"""`/kitchen/ws` and `/ops/ws`: one kitchen screen's or operator board's connection.

Protocol (JSON messages):
- the screen opens with ``{"type": "hello", "token": "<bearer token>", "since": <last seq>}``
  (``since`` null for a fresh screen); a kitchen account only, and only its restaurant (an
  operator account for ``/ops/ws``, on the operator channel);
- the server answers with the events after ``since`` (``{"type": "event", "seq", "event_id",
  "kind", "payload", "at"}``) or, when that gap is too old or unknown, one
  ``{"type": "snapshot", "seq", "tickets"}`` (``"board"`` for the operator); then live events
  in sequence order (the operator's board rows with their alerts), and
  ``{"type": "heartbeat", "seq"}`` every HEARTBEAT_S;
- kitchen commands ``{"type": "command", "client_id", "action", "ticket_id" | "dish_id"}`` answer
  ``{"type": "ack", "client_id", "ok", "status", ...}``; a client id is used once, a repeat
  gets the first answer (commands queued offline are replayed safely).
"""

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import account_for_token
from api.models import Role
from api.routes.ops import alert_thresholds
from api.schemas.accounts import Account
from api.security import token_expiry
from api.services import ops_board
from api.services.kitchen import board
from api.services.outbox import OPERATOR_CHANNEL, restaurant_channel
from kitchen_display.commands import ScreenCommand, run_command
from kitchen_display.hub import Hub, Message, Screen, events_between, last_sequences

HEARTBEAT_S = 12.0
HELLO_TIMEOUT_S = 10.0
REPLAY_LIMIT = 500
"""A screen further behind than this many events gets a snapshot instead of a replay."""


class _Close(Exception):
    """End the connection with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def _receive_json(websocket: WebSocket) -> Any:
    """The next message as JSON; a binary, oversized or unreadable one closes with 4400."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise _Close(4400, "send JSON text messages")
    # A hello or a command is a few hundred bytes: the request body limit is plenty. (`chaud
    # serve` refuses larger frames already; this holds under any other server.)
    limit = websocket.app.state.settings.max_body_bytes
    if len(text.encode()) > limit:
        raise _Close(4400, f"messages are limited to {limit} bytes")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise _Close(4400, "not a JSON message") from None


router = APIRouter()


def _sign_in(websocket: WebSocket, token: str) -> Account | None:
    state = websocket.app.state
    with Session(state.engine) as session:
        return account_for_token(
            session, token, state.settings.secret_key.get_secret_value(), state.clock.now()
        )


@dataclass(frozen=True)
class Feed:
    """What one kind of screen follows: its channel, its snapshot, how its events are shown,
    and whether it sends commands."""

    channel: Callable[[Account], str | None]
    """The account's channel; None: this screen is not for that account."""
    snapshot: Callable[[Any, Session, Account], dict[str, Any]]
    """The snapshot's content (app state, session, account), without its type and seq."""
    show: Callable[[Any, Message], Message] = lambda _state, message: message
    """An event as sent (app state, message)."""
    commands: bool = False
    refusal: str = "sign in"


def _kitchen_channel(account: Account) -> str | None:
    if account.role is not Role.KITCHEN or account.restaurant_id is None:
        return None
    return restaurant_channel(account.restaurant_id)


def _kitchen_snapshot(_state: Any, session: Session, account: Account) -> dict[str, Any]:
    assert account.restaurant_id is not None
    return {"tickets": board(session, account.restaurant_id)}


KITCHEN = Feed(
    _kitchen_channel, _kitchen_snapshot, commands=True, refusal="a kitchen account is needed"
)


def _catch_up(state: Any, feed: Feed, account: Account, since: int | None) -> list[Message]:
    """What a screen that holds ``since`` needs: the missed events, or a snapshot."""
    channel = feed.channel(account)
    assert channel is not None
    engine: sa.Engine = state.engine
    with engine.connect() as connection:
        current = last_sequences(connection, [channel])[channel]
        if since is not None and current - REPLAY_LIMIT <= since <= current:
            return events_between(connection, channel, since, current)
    with Session(engine) as session:
        # Read the sequence first: an event committed meanwhile is sent again, never lost.
        content = feed.snapshot(state, session, account)
    return [{"type": "snapshot", "seq": current, **content}]


class _Connection:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        feed: Feed,
        account: Account,
        screen: Screen,
        token: str,
    ) -> None:
        self.websocket, self.hub, self.account, self.screen = websocket, hub, account, screen
        self.feed, self.token = feed, token
        self.last = 0
        self.lock = asyncio.Lock()

    async def send(self, messages: list[Message]) -> None:
        async with self.lock:
            for message in messages:
                if message["type"] == "event":
                    if message["seq"] <= self.last:
                        continue  # already on the screen
                    if message["seq"] > self.last + 1:
                        await self._fill_gap(message["seq"] - 1)
                    self.last = message["seq"]
                    message = self.feed.show(self.websocket.app.state, message)
                elif message["type"] == "snapshot":
                    self.last = message["seq"]
                await self.websocket.send_json(message)

    async def _fill_gap(self, up_to: int) -> None:
        channel, after = self.screen.channel, self.last

        def read() -> list[Message]:
            with self.hub.engine.connect() as connection:
                return events_between(connection, channel, after, up_to)

        for message in await self.hub.run_sync(read):
            self.last = message["seq"]
            await self.websocket.send_json(self.feed.show(self.websocket.app.state, message))

    async def resync(self) -> None:
        self.screen.overflowed = False
        state = self.websocket.app.state
        messages = await self.hub.run_sync(lambda: _catch_up(state, self.feed, self.account, None))
        await self.send(messages)

    async def forward(self) -> None:
        while True:
            message = await self.screen.queue.get()
            if message["type"] == "resync":
                await self.resync()
            else:
                await self.send([message])

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            # A screen that only listens is checked too: a disabled account stops hearing.
            await self.check_account()
            async with self.lock:
                await self.websocket.send_json({"type": "heartbeat", "seq": self.last})

    async def check_account(self) -> None:
        account = await self.hub.run_sync(lambda: _sign_in(self.websocket, self.token))
        if account is None or self.feed.channel(account) != self.screen.channel:
            raise _Close(4401, "the token is no longer valid: sign in again")

    async def expiry(self, expires: datetime) -> None:
        """Close with 4401 the moment the token expires: the screen signs in again."""
        clock = self.websocket.app.state.clock
        await asyncio.sleep(max(0.0, (expires - clock.now()).total_seconds()))
        raise _Close(4401, "the token expired: sign in again")

    async def receive(self) -> None:
        state = self.websocket.app.state
        while True:
            raw = await _receive_json(self.websocket)
            if not self.feed.commands or not isinstance(raw, dict) or raw.get("type") != "command":
                continue
            await self.check_account()  # as it is now, for each command: disabled, expired
            try:
                command = ScreenCommand.model_validate(raw)
            except ValidationError as error:
                problems = [
                    {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                    for e in error.errors()
                ]
                ack: dict[str, Any] = {
                    "type": "ack",
                    "client_id": raw.get("client_id"),
                    "ok": False,
                    "status": 422,
                    "error": "invalid_input",
                    "detail": problems,
                }
            else:
                ack = await self.hub.run_sync(
                    partial(run_command, state.engine, self.account, command, state.clock.now())
                )
            async with self.lock:
                await self.websocket.send_json(ack)


@router.websocket("/kitchen/ws")
async def kitchen_screen(websocket: WebSocket) -> None:
    """A kitchen screen: its restaurant's tickets live, resumed by sequence number."""
    await serve_screen(websocket, KITCHEN)


async def serve_screen(websocket: WebSocket, feed: Feed) -> None:
    """One screen's connection: hello, catch-up, then live events, heartbeats and commands."""
    await websocket.accept()
    hub: Hub = websocket.app.state.kitchen_hub
    try:
        async with asyncio.timeout(HELLO_TIMEOUT_S):
            hello = await _receive_json(websocket)
    except WebSocketDisconnect:
        return
    except TimeoutError:
        await _close(websocket, _Close(4400, "send a hello first"))
        return
    except _Close as refusal:
        await _close(websocket, refusal)
        return
    token = hello.get("token") if isinstance(hello, dict) else None
    token = token if isinstance(token, str) else None
    account = await hub.run_sync(lambda: _sign_in(websocket, token)) if token else None
    secret = websocket.app.state.settings.secret_key.get_secret_value()
    expires = token_expiry(token, secret) if token else None
    channel = feed.channel(account) if account is not None else None
    if token is None or expires is None or account is None or channel is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.send_json(
                {"type": "error", "error": "unauthorized", "detail": feed.refusal}
            )
            await websocket.close(code=4401, reason=feed.refusal)
        return
    since = hello.get("since")
    since = since if isinstance(since, int) and since >= 0 else None
    screen = Screen(channel)
    await hub.attach(screen)  # from here on, new events are queued for this screen
    connection = _Connection(websocket, hub, feed, account, screen, token)
    connection.last = since or 0  # a replay continues from what the screen holds
    state = websocket.app.state
    tasks: list[asyncio.Task[None]] = []
    try:
        await connection.send(await hub.run_sync(lambda: _catch_up(state, feed, account, since)))
        tasks = [
            asyncio.create_task(connection.forward()),
            asyncio.create_task(connection.heartbeat()),
            asyncio.create_task(connection.receive()),
            asyncio.create_task(connection.expiry(expires)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if error is not None and not isinstance(error, WebSocketDisconnect):
                raise error
    except WebSocketDisconnect:
        pass
    except _Close as closing:
        await _close(websocket, closing)
    finally:
        hub.detach(screen)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


async def _close(websocket: WebSocket, closing: _Close) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=closing.code, reason=closing.reason)


def _operator_channel(account: Account) -> str | None:
    return OPERATOR_CHANNEL if account.role is Role.OPERATOR else None


def _operator_snapshot(state: Any, session: Session, _account: Account) -> dict[str, Any]:
    return {
        "board": ops_board.board(session, alert_thresholds(state.settings)).model_dump(mode="json")
    }


def _operator_event(state: Any, message: Message) -> Message:
    """A board row with its alerts as this API raises them."""
    if not str(message.get("kind", "")).startswith("board."):
        return message
    return {
        **message,
        "payload": ops_board.with_alerts(message["payload"], alert_thresholds(state.settings)),
    }


OPERATOR = Feed(
    _operator_channel, _operator_snapshot, _operator_event, refusal="an operator account is needed"
)


@router.websocket("/ops/ws")
async def operator_screen(websocket: WebSocket) -> None:
    """The operator's live board: its rows as they change, resumed by sequence number."""
    await serve_screen(websocket, OPERATOR)
