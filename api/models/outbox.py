"""The event outbox: every change a screen, courier or customer must see, in commit order."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.models.base import created_at_field, id_field


class OutboxEvent(SQLModel, table=True):
    """One event on one channel (e.g. ``restaurant:3``), numbered without gaps per channel."""

    __tablename__ = "outbox_events"
    __table_args__ = (sa.UniqueConstraint("channel", "sequence"),)

    id: int | None = id_field()
    channel: str = Field(max_length=80)
    sequence: int = Field(ge=1)
    kind: str = Field(max_length=60)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = created_at_field()


class ChannelSequence(SQLModel, table=True):
    """Last sequence number handed out per channel.

    Bumping this row inside the writing transaction locks it until commit, so a channel's
    sequence numbers are in commit order, which auto-increment ids are not.
    """

    __tablename__ = "channel_sequences"

    channel: str = Field(primary_key=True, max_length=80)
    last_sequence: int = 0
