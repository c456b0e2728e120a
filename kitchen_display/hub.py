"""Fan-out of the outbox to this process's screens, woken by commits in any process.

The outbox table is the truth. Each API process runs one pump that reads, per restaurant
channel with a screen attached here, the events numbered after the last it handed out, and
offers them to those screens. It wakes on PostgreSQL NOTIFY (sent by the writing
transaction, so from any process), on commits in this process (the embedded default), and
on a short safety poll. A channel's numbers follow commit order, so "after the last
sequence" never skips an event that committed late.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import psycopg
import sqlalchemy as sa
from anyio import CapacityLimiter

from api.models import ChannelSequence, OutboxEvent
from api.services.outbox import NOTIFY_CHANNEL, add_commit_listener

log = logging.getLogger("chaud.kitchen_display")

QUEUE_SIZE = 256
"""Events a screen may fall behind by before it is resynchronised with a snapshot."""
SAFETY_POLL_S = 1.0
SHUTDOWN_WAIT_S = 5.0

_EVENTS: sa.Table = OutboxEvent.__table__  # type: ignore[attr-defined]
_SEQUENCES: sa.Table = ChannelSequence.__table__  # type: ignore[attr-defined]

Message = dict[str, Any]


def event_message(row: Any) -> Message:
    return {
        "type": "event",
        "channel": row.channel,
        "seq": int(row.sequence),
        "event_id": int(row.id),
        "kind": row.kind,
        "payload": row.payload,
        "at": row.created_at.isoformat(),
    }


def last_sequences(connection: sa.Connection, channels: list[str]) -> dict[str, int]:
    rows = connection.execute(
        sa.select(_SEQUENCES.c.channel, _SEQUENCES.c.last_sequence).where(
            _SEQUENCES.c.channel.in_(channels)
        )
    ).all()
    found = {row.channel: int(row.last_sequence) for row in rows}
    return {channel: found.get(channel, 0) for channel in channels}


def events_between(
    connection: sa.Connection, channel: str, after: int, up_to: int | None = None
) -> list[Message]:
    query = sa.select(_EVENTS).where(_EVENTS.c.channel == channel, _EVENTS.c.sequence > after)
    if up_to is not None:
        query = query.where(_EVENTS.c.sequence <= up_to)
    return [event_message(row) for row in connection.execute(query.order_by(_EVENTS.c.sequence))]


Expander = Callable[[list[Message]], list[Message]]
"""Turns a channel's events into what its screens are sent, in one read (run on a thread)."""


@dataclass(eq=False)
class Screen:
    """One channel of a connected display: the queue of events not yet sent (a display that
    follows several channels gives each the same queue)."""

    channel: str
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def offer(self, message: Message) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # Never block the pump (and every other screen) for one slow screen.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait({"type": "resync"})


def _by_channel(messages: list[Message]) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        found[message["channel"]].append(message)
    return found


class Hub:
    def __init__(
        self,
        engine: sa.Engine,
        postgres_dsn: str | None,
        expanders: dict[str, Expander] | None = None,
    ) -> None:
        self.engine = engine
        self.postgres_dsn = postgres_dsn
        self.expanders = expanders or {}
        """Per channel prefix, how its events are expanded: once per pump cycle, for all the
        screens of this process, with what every channel of the prefix brought in it."""
        self.limiter = CapacityLimiter(2)
        self._screens: dict[str, set[Screen]] = defaultdict(set)
        self._handed_out: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run_sync(self, function: Callable[[], Any]) -> Any:
        """Database work off the event loop, on threads of the hub's own."""
        return await anyio.to_thread.run_sync(function, limiter=self.limiter)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Hub"]:
        self._loop = asyncio.get_running_loop()
        remove_listener = add_commit_listener(self._on_commit)
        tasks = [asyncio.create_task(self._pump())]
        if self.postgres_dsn:
            tasks.append(asyncio.create_task(self._listen()))
        try:
            yield self
        finally:
            remove_listener()
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT_S)
            if stuck:
                log.warning("kitchen display: %d task(s) did not stop in time", len(stuck))

    def _on_commit(self, channels: set[str]) -> None:
        loop = self._loop
        if loop is not None and any(c in self._screens for c in channels):
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._wake.set)

    async def attach(self, screen: Screen) -> None:
        """Start offering the channel's new events to this screen (it replays the past)."""
        if screen.channel not in self._handed_out:

            def current() -> int:
                with self.engine.connect() as connection:
                    return last_sequences(connection, [screen.channel])[screen.channel]

            self._handed_out[screen.channel] = await self.run_sync(current)
        self._screens[screen.channel].add(screen)

    def detach(self, screen: Screen) -> None:
        screens = self._screens.get(screen.channel)
        if screens is not None:
            screens.discard(screen)
            if not screens:
                del self._screens[screen.channel]
                self._handed_out.pop(screen.channel, None)

    async def _pump(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
            # that lands as the wait ends, and the pump would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SAFETY_POLL_S):
                    await self._wake.wait()
            self._wake.clear()
            channels = {c: self._handed_out.get(c, 0) for c in self._screens}
            if not channels:
                continue
            try:
                fresh = await self.run_sync(partial(self._read, channels))
                self._offer({c: ms for c, ms in fresh.items() if not self._expanded(c)})
                # Channels whose events are expanded (the operator's board rows) come after
                # the others: their reading never holds back a kitchen's ticket.
                for prefix, expand in self.expanders.items():
                    mine = [m for c, ms in fresh.items() if c.startswith(prefix) for m in ms]
                    if mine:
                        await self._expand_and_offer(expand, mine)
            except sa.exc.DBAPIError:
                log.warning("kitchen display: reading the outbox failed; retrying", exc_info=True)
                continue

    async def _expand_and_offer(self, expand: Expander, messages: list[Message]) -> None:
        try:
            expanded = await self.run_sync(partial(expand, messages))
        except sa.exc.DBAPIError:
            raise  # the pump retries the cycle
        except Exception:
            # Never let one bad event stop the pump for every screen: those screens start
            # again from a snapshot, and the events are counted as handed out.
            log.exception("kitchen display: expanding events failed; resynchronising")
            for channel, found in _by_channel(messages).items():
                if channel in self._handed_out:
                    self._handed_out[channel] = max(self._handed_out[channel], found[-1]["seq"])
                for screen in list(self._screens.get(channel, ())):
                    screen.offer({"type": "resync"})
            return
        self._offer(_by_channel(expanded))

    def _expanded(self, channel: str) -> bool:
        return any(channel.startswith(prefix) for prefix in self.expanders)

    def _offer(self, fresh: dict[str, list[Message]]) -> None:
        for channel, messages in fresh.items():
            if not messages:
                continue
            if channel in self._handed_out:
                self._handed_out[channel] = max(self._handed_out[channel], messages[-1]["seq"])
            for screen in list(self._screens.get(channel, ())):
                for message in messages:
                    screen.offer(message)

    def _read(self, channels: dict[str, int]) -> dict[str, list[Message]]:
        with self.engine.connect() as connection:
            latest = last_sequences(connection, list(channels))
            fresh = {
                channel: events_between(connection, channel, channels[channel], last)
                for channel, last in latest.items()
                if last > channels[channel]
            }
        return fresh

    async def _listen(self) -> None:
        """Wake on NOTIFY from any process; reconnect when the connection drops."""
        assert self.postgres_dsn is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.postgres_dsn, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake.set()  # catch up on what committed while not listening
                    async for notice in connection.notifies():
                        if notice.payload in self._screens:
                            self._wake.set()
            except (psycopg.OperationalError, OSError):
                log.warning("kitchen display: LISTEN connection lost; reconnecting")
                await asyncio.sleep(1)
