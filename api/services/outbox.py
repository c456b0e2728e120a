"""Writing events to the outbox, numbered per channel in commit order."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from api.models import ChannelSequence, OutboxEvent

DISPATCH_CHANNEL = "dispatch"
"""Wakes the dispatcher: new orders, cancellations, ready tickets."""


def restaurant_channel(restaurant_id: int) -> str:
    return f"restaurant:{restaurant_id}"


def courier_channel(courier_id: int) -> str:
    return f"courier:{courier_id}"


def order_channel(order_id: int) -> str:
    return f"order:{order_id}"


def _next_sequence(session: Session, channel: str) -> int:
    """Bump the channel's counter; the row stays locked until the caller's commit."""
    table = ChannelSequence.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(
        insert.values(channel=channel, last_sequence=0).on_conflict_do_nothing(
            index_elements=["channel"]
        )
    )
    bumped = session.execute(
        sa.update(table)
        .where(table.c.channel == channel)
        .values(last_sequence=table.c.last_sequence + 1)
        .returning(table.c.last_sequence)
    ).scalar_one()
    return int(bumped)


def publish(session: Session, channel: str, kind: str, payload: dict[str, Any]) -> OutboxEvent:
    """Add an event to the caller's transaction: it exists exactly when the change commits."""
    event = OutboxEvent(
        channel=channel, sequence=_next_sequence(session, channel), kind=kind, payload=payload
    )
    session.add(event)
    return event
