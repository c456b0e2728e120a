"""Writing events to the outbox, numbered per channel in commit order."""

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from api.db_types import utc_now
from api.models import ChannelSequence, OutboxEvent

# The dispatcher follows the whole outbox by id, so orders need no channel shared by all of
# them (it would queue every order on one sequence row). Its own channel, DISPATCH_CHANNEL,
# numbers its plans; only the leading dispatcher writes it.

_SEQUENCES: sa.Table = ChannelSequence.__table__  # type: ignore[attr-defined]
_EVENTS: sa.Table = OutboxEvent.__table__  # type: ignore[attr-defined]

_INSERT_EVENTS = _EVENTS.insert()

Event = tuple[str, str, dict[str, Any]]
"""(channel, kind, payload)"""


def restaurant_channel(restaurant_id: int) -> str:
    return f"restaurant:{restaurant_id}"


def courier_channel(courier_id: int) -> str:
    return f"courier:{courier_id}"


def order_channel(order_id: int) -> str:
    return f"order:{order_id}"


OPERATOR_SHARDS = 8
"""The operator's board follows this many channels ("operator:0", …): one channel shared by
every commit would queue them all on its sequence row, each holding it through its commit
(at 10 orders a second, kitchen screens' p99 went from 37 to 137 ms)."""
OPERATOR_CHANNELS = tuple(f"operator:{n}" for n in range(OPERATOR_SHARDS))


def operator_channel(key: int) -> str:
    """The operator channel for events about this thing (an order's, a courier's id)."""
    return OPERATOR_CHANNELS[key % OPERATOR_SHARDS]


def is_operator_channel(channel: str) -> bool:
    return channel.startswith("operator:")


DISPATCH_CHANNEL = "dispatch"
"""One event per dispatcher cycle: its sequence number is the plan's version."""


def _bump_sequences(session: Session, channels: Sequence[str]) -> dict[str, int]:
    """Bump each channel's counter by its number of events, in one statement.

    The rows stay locked until commit, so a channel's numbers follow commit order
    (auto-increment ids do not). Channels are locked in sorted order, so two transactions
    never wait on each other's channels in opposite orders.
    """
    counts = Counter(channels)
    statement = _bump_statement(session.get_bind().dialect.name, len(counts))
    params: dict[str, str | int] = {}
    for number, channel in enumerate(sorted(counts)):
        params[f"channel_{number}"] = channel
        params[f"count_{number}"] = counts[channel]
    return {row.channel: int(row.last_sequence) for row in session.execute(statement, params)}


@cache
def _bump_statement(dialect: str, rows: int) -> sa.Insert:
    """One upsert for ``rows`` channels, built once per dialect and row count."""
    insert = postgresql.insert(_SEQUENCES) if dialect == "postgresql" else sqlite.insert(_SEQUENCES)
    values: list[dict[str, Any]] = [
        {"channel": sa.bindparam(f"channel_{n}"), "last_sequence": sa.bindparam(f"count_{n}")}
        for n in range(rows)
    ]
    return (
        insert.values(values)
        .on_conflict_do_update(
            index_elements=["channel"],
            set_={"last_sequence": _SEQUENCES.c.last_sequence + insert.excluded.last_sequence},
        )
        .returning(_SEQUENCES.c.channel, _SEQUENCES.c.last_sequence)
    )


NOTIFY_CHANNEL = "chaud_outbox"
"""PostgreSQL NOTIFY channel: every API worker listening wakes when events commit."""
_NOTIFY = sa.text("SELECT pg_notify(:notify, c) FROM unnest(CAST(:channels AS text[])) AS c")
_COMMIT_LISTENERS: list[Callable[[set[str]], None]] = []
_PENDING_KEY = "chaud.outbox.channels"


def add_commit_listener(listener: Callable[[set[str]], None]) -> Callable[[], None]:
    """Call ``listener(channels)`` in this process after each commit that published events.

    Returns a function that removes it. This is the in-process wake-up (the embedded default);
    other processes wake on PostgreSQL's NOTIFY, sent in the same transaction.
    """
    _COMMIT_LISTENERS.append(listener)
    return lambda: _COMMIT_LISTENERS.remove(listener)


@sa.event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    channels: set[str] | None = session.info.pop(_PENDING_KEY, None)
    if channels:
        for listener in list(_COMMIT_LISTENERS):
            listener(channels)


OPS_TOUCHED_KEY = "chaud.ops.touched"
"""Where a session keeps what the operator's board must hear of (api.services.ops_board)."""
BOARD_TOUCHED = "board.touched"
"""The operator channel's event naming the orders, couriers and kitchens a commit changed."""


@sa.event.listens_for(Session, "before_commit")
def _announce_board_rows(session: Session) -> None:
    """What this transaction touched, for the operator's board, published in it."""
    from api.services import ops_board  # it reads this module

    touched = ops_board.touched_payload(session)
    if touched is not None:
        # Spread over the shards by what was touched: commits on one order share one.
        key = next(ids[0] for ids in touched.values() if ids)
        publish(session, operator_channel(key), BOARD_TOUCHED, touched)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(OPS_TOUCHED_KEY, None)


def publish_all(session: Session, events: Sequence[Event]) -> dict[str, int]:
    """Add events to the caller's transaction: they exist exactly when the change commits.

    Returns each channel's last sequence number after these events.
    """
    if not events:
        return {}
    from api.services import ops_board  # it reads this module

    for channel, _, payload in events:
        if not is_operator_channel(channel):  # the operator's own events touch nothing more
            ops_board.touch_from_event(session, channel, payload)
    channels = sorted({channel for channel, _, _ in events})
    session.info.setdefault(_PENDING_KEY, set()).update(channels)
    if session.get_bind().dialect.name == "postgresql":
        # Delivered by PostgreSQL at commit, and never for a rolled-back transaction.
        session.execute(_NOTIFY, {"notify": NOTIFY_CHANNEL, "channels": channels})
    last = _bump_sequences(session, [channel for channel, _, _ in events])
    # Number each channel's events in the order given, ending at the bumped value.
    remaining = Counter(channel for channel, _, _ in events)
    now = utc_now()
    rows = []
    for channel, kind, payload in events:
        sequence = last[channel] - remaining[channel] + 1
        remaining[channel] -= 1
        rows.append(
            {
                "channel": channel,
                "sequence": sequence,
                "kind": kind,
                "payload": payload,
                "created_at": now,
            }
        )
    session.execute(_INSERT_EVENTS, rows)
    return last


def publish(session: Session, channel: str, kind: str, payload: dict[str, Any]) -> int:
    """Add one event to the caller's transaction; returns its sequence number."""
    return publish_all(session, [(channel, kind, payload)])[channel]
