"""The customer's e-mails, written in the transaction of what they tell, sent by a worker."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field, moment_field
from api.models.enums import MailKind


class Mail(SQLModel, table=True):
    """One mail to send: the outbox of the mail worker (api.mail).

    Written with the change it tells of, so a change committed is a mail queued, and a change
    rolled back is none. The worker claims a row by a conditional update (``lease_until``), so
    two workers never send one row; ``sent_at`` ends it.
    """

    __tablename__ = "mails"
    __table_args__ = (sa.Index("ix_mails_pending", "sent_at", "next_attempt_at"),)

    id: int | None = id_field()
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: MailKind = Field(sa_type=enum_type(MailKind, 20))
    context: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, description="What the moment adds (a refusal)"
    )
    created_at: datetime = created_at_field()
    next_attempt_at: datetime = moment_field(nullable=False)
    lease_until: datetime | None = moment_field(
        description="A worker is sending it until then; a crashed worker's lease runs out"
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = moment_field()
    given_up_at: datetime | None = moment_field(
        description="Too old to be news, or refused for good by the mail server"
    )
