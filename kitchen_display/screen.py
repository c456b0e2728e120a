"""`/kitchen/ws`, `/ops/ws`, `/courier/ws`, `/orders/{id}/ws`: one live screen's connection.

The courier's page and the customer's order page follow their channel the same way (hello,
catch-up, events, heartbeats) and read what changed from the API.

Protocol (JSON messages):
- the screen opens with ``{"type": "hello", "token": "<bearer token>", "since": <last seq>}``
  (``since`` null for a fresh screen); a kitchen account only, and only its restaurant. The
  operator's board (``/ops/ws``, operator accounts) follows the operator channels
  (api.services.outbox.OPERATOR_CHANNELS): its ``since`` is ``{channel: last seq}``;
- the server answers with the events after ``since`` (``{"type": "event", "channel", "seq",
  "event_id", "kind", "payload", "at"}``, in sequence order per channel) or, when that gap is
  too old or unknown, one ``{"type": "snapshot", "seq", "seqs", "tickets"}`` (``"board"`` for
  the operator; ``seqs`` per channel); then live events (for the operator, each
  "board.touched" event is sent as "board.rows": the current rows of what it touched, with
  their alerts), and ``{"type": "heartbeat", "seq", "seqs"}`` every HEARTBEAT_S;
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
from sqlmodel import Session, select

from api.deps import account_for_token
from api.models import Courier, Order, Role
from api.routes.ops import alert_thresholds
from api.schemas.accounts import Account
from api.security import token_expiry
from api.services import ops_board
from api.services.kitchen import board
from api.services.outbox import (
    BOARD_TOUCHED,
    OPERATOR_CHANNELS,
    courier_channel,
    order_channel,
    restaurant_channel,
)
from kitchen_display.commands import ScreenCommand, run_command
from kitchen_display.hub import (
    QUEUE_SIZE,
    Hub,
    Message,
    Screen,
    events_between,
    last_sequences,
)

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


def _sign_in_to(
    websocket: WebSocket, feed: "Feed", token: str
) -> tuple[Account | None, tuple[str, ...] | None]:
    """The token's account, as it is now, and the channels this screen gives it."""
    state = websocket.app.state
    with Session(state.engine) as session:
        account = account_for_token(
            session, token, state.settings.secret_key.get_secret_value(), state.clock.now()
        )
        if account is None:
            return None, None
        return account, feed.channels(session, account, dict(websocket.path_params))


TEXT = "_text"
"""A message's JSON, when it was written once for all the screens it goes to."""


def as_text(message: Message) -> str:
    """A message in JSON, as Starlette's send_json writes it."""
    text = message.get(TEXT)
    if isinstance(text, str):
        return text
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Feed:
    """What one kind of screen follows: its channels, its snapshot, how its events are
    expanded, and whether it sends commands."""

    channels: Callable[[Session, Account, dict[str, Any]], tuple[str, ...] | None]
    """The account's channels (read with the session, given the URL's path parameters);
    None: this screen is not for that account."""
    snapshot: Callable[[Any, Session, Account], dict[str, Any]]
    """The snapshot's content (app state, session, account), without its type and seq."""
    expand: Callable[[Any, list[Message]], list[Message]] | None = None
    """Events as sent (app state, events): the hub's expander for these channels, also run on
    what a screen catches up on."""
    commands: bool = False
    refusal: str = "sign in"


def _kitchen_channels(
    _session: Session, account: Account, _params: dict[str, Any]
) -> tuple[str, ...] | None:
    if account.role is not Role.KITCHEN or account.restaurant_id is None:
        return None
    return (restaurant_channel(account.restaurant_id),)


def _kitchen_snapshot(_state: Any, session: Session, account: Account) -> dict[str, Any]:
    assert account.restaurant_id is not None
    return {"tickets": board(session, account.restaurant_id)}


KITCHEN = Feed(
    _kitchen_channels, _kitchen_snapshot, commands=True, refusal="a kitchen account is needed"
)


def _operator_channels(
    _session: Session, account: Account, _params: dict[str, Any]
) -> tuple[str, ...] | None:
    return OPERATOR_CHANNELS if account.role is Role.OPERATOR else None


def _operator_snapshot(state: Any, session: Session, _account: Account) -> dict[str, Any]:
    board_ = ops_board.board(session, alert_thresholds(state.settings), state.clock.now())
    return {"board": board_.model_dump(mode="json")}


def expand_board_events(state: Any, messages: list[Message]) -> list[Message]:
    """Each "board.touched" event as "board.rows": the current rows of what it touched, with
    their alerts, all read at once."""
    touched = [m for m in messages if m.get("kind") == BOARD_TOUCHED]
    if not touched:
        return messages
    with Session(state.engine) as session:
        rows = ops_board.rows_for_each(
            session, [m["payload"] for m in touched], alert_thresholds(state.settings)
        )
    expanded = {}
    for message, found in zip(touched, rows, strict=True):
        shown = {**message, "kind": "board.rows", "payload": found.model_dump(mode="json")}
        # Written once here for every board of the process it is offered to.
        expanded[id(message)] = {**shown, TEXT: as_text(shown)}
    return [expanded.get(id(m), m) for m in messages]


OPERATOR = Feed(
    _operator_channels,
    _operator_snapshot,
    expand_board_events,
    refusal="an operator account is needed",
)


def _courier_channels(
    session: Session, account: Account, _params: dict[str, Any]
) -> tuple[str, ...] | None:
    if account.role is not Role.COURIER:
        return None
    courier_id = session.exec(select(Courier.id).where(Courier.user_id == account.id)).first()
    return (courier_channel(courier_id),) if courier_id is not None else None


def _order_channels(
    session: Session, account: Account, params: dict[str, Any]
) -> tuple[str, ...] | None:
    """The customer's own order only: another's is refused as a missing one is."""
    order_id = str(params.get("order_id", ""))
    if account.role is not Role.CUSTOMER or not order_id.isdigit() or len(order_id) > 10:
        return None
    owner = session.exec(select(Order.customer_id).where(Order.id == int(order_id))).first()
    return (order_channel(int(order_id)),) if owner == account.id else None


def _nothing_held(_state: Any, _session: Session, _account: Account) -> dict[str, Any]:
    # These pages read their content from the API when the feed says something changed.
    return {}


COURIER = Feed(_courier_channels, _nothing_held, refusal="a courier account is needed")
ORDER = Feed(_order_channels, _nothing_held, refusal="sign in as the customer of this order")


def _since(hello: Any, channels: tuple[str, ...]) -> dict[str, int] | None:
    """What the screen holds, per channel: a number for a one-channel screen, or a mapping."""
    since = hello.get("since") if isinstance(hello, dict) else None
    if isinstance(since, int) and not isinstance(since, bool) and len(channels) == 1:
        since = {channels[0]: since}
    if not isinstance(since, dict):
        return None
    held = {c: since.get(c) for c in channels}
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in held.values()):
        return None
    return {c: int(v) for c, v in held.items() if v is not None}


def _catch_up(
    state: Any,
    feed: Feed,
    account: Account,
    channels: tuple[str, ...],
    since: dict[str, int] | None,
) -> list[Message]:
    """What a screen that holds ``since`` needs: the missed events, or a snapshot."""
    engine: sa.Engine = state.engine
    with engine.connect() as connection:
        current = last_sequences(connection, list(channels))
        if since is not None and all(
            current[c] - REPLAY_LIMIT <= since[c] <= current[c] for c in channels
        ):
            missed = [
                m for c in channels for m in events_between(connection, c, since[c], current[c])
            ]
            return feed.expand(state, missed) if feed.expand else missed
    with Session(engine) as session:
        # Read the sequences first: an event committed meanwhile is sent again, never lost.
        content = feed.snapshot(state, session, account)
    single = {"seq": current[channels[0]]} if len(channels) == 1 else {}
    return [{"type": "snapshot", **single, "seqs": current, **content}]


class _Connection:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        feed: Feed,
        account: Account,
        screens: list[Screen],
        token: str,
    ) -> None:
        self.websocket, self.hub, self.account, self.screens = websocket, hub, account, screens
        self.feed, self.token = feed, token
        self.channels = tuple(screen.channel for screen in screens)
        self.queue = screens[0].queue
        self.last = dict.fromkeys(self.channels, 0)
        self.lock = asyncio.Lock()

    async def send(self, messages: list[Message]) -> None:
        async with self.lock:
            for message in messages:
                if message["type"] == "event":
                    channel = message["channel"]
                    if message["seq"] <= self.last[channel]:
                        continue  # already on the screen
                    if message["seq"] > self.last[channel] + 1:
                        await self._fill_gap(channel, message["seq"] - 1)
                    self.last[channel] = message["seq"]
                elif message["type"] == "snapshot":
                    self.last = dict(message["seqs"])
                await self.websocket.send_text(as_text(message))

    async def _fill_gap(self, channel: str, up_to: int) -> None:
        after, state = self.last[channel], self.websocket.app.state

        def read() -> list[Message]:
            with self.hub.engine.connect() as connection:
                missed = events_between(connection, channel, after, up_to)
            return self.feed.expand(state, missed) if self.feed.expand else missed

        for message in await self.hub.run_sync(read):
            self.last[channel] = message["seq"]
            await self.websocket.send_text(as_text(message))

    async def resync(self) -> None:
        for screen in self.screens:
            screen.overflowed = False
        state = self.websocket.app.state
        messages = await self.hub.run_sync(
            lambda: _catch_up(state, self.feed, self.account, self.channels, None)
        )
        await self.send(messages)

    async def forward(self) -> None:
        while True:
            message = await self.queue.get()
            if message["type"] == "resync":
                await self.resync()
            else:
                await self.send([message])

    def heartbeat_message(self) -> Message:
        single = {"seq": self.last[self.channels[0]]} if len(self.channels) == 1 else {}
        return {"type": "heartbeat", **single, "seqs": dict(self.last)}

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            # A screen that only listens is checked too: a disabled account stops hearing.
            await self.check_account()
            async with self.lock:
                await self.websocket.send_json(self.heartbeat_message())

    async def check_account(self) -> None:
        account, channels = await self.hub.run_sync(
            lambda: _sign_in_to(self.websocket, self.feed, self.token)
        )
        if account is None or channels != self.channels:
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
    account, channels = (
        await hub.run_sync(lambda: _sign_in_to(websocket, feed, token)) if token else (None, None)
    )
    secret = websocket.app.state.settings.secret_key.get_secret_value()
    expires = token_expiry(token, secret) if token else None
    if token is None or expires is None or account is None or channels is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.send_json(
                {"type": "error", "error": "unauthorized", "detail": feed.refusal}
            )
            await websocket.close(code=4401, reason=feed.refusal)
        return
    since = _since(hello, channels)
    # One queue for all the screen's channels: from here on, new events are queued for it.
    queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_SIZE)
    screens = [Screen(channel, queue) for channel in channels]
    for screen in screens:
        await hub.attach(screen)
    connection = _Connection(websocket, hub, feed, account, screens, token)
    connection.last.update(since or {})  # a replay continues from what the screen holds
    state = websocket.app.state
    tasks: list[asyncio.Task[None]] = []
    try:
        await connection.send(
            await hub.run_sync(lambda: _catch_up(state, feed, account, channels, since))
        )
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
        for screen in screens:
            hub.detach(screen)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


async def _close(websocket: WebSocket, closing: _Close) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=closing.code, reason=closing.reason)


@router.websocket("/ops/ws")
async def operator_screen(websocket: WebSocket) -> None:
    """The operator's live board: its rows as they change, resumed by sequence number."""
    await serve_screen(websocket, OPERATOR)


@router.websocket("/courier/ws")
async def courier_screen(websocket: WebSocket) -> None:
    """The courier's page: a word each time its round or shift changes."""
    await serve_screen(websocket, COURIER)


@router.websocket("/orders/{order_id}/ws")
async def order_screen(websocket: WebSocket) -> None:
    """The customer's order page: a word each time the order moves, or its courier does."""
    await serve_screen(websocket, ORDER)
