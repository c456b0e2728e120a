"""Idempotency keys: one request's outcome, kept so that a retry gets the same answer."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.models.base import created_at_field, id_field


class IdempotencyRecord(SQLModel, table=True):
    """A client's key for one request; no status yet means it is still being processed."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        sa.Index("ix_idempotency_records_created_at", "created_at"),  # the daily purge
    )

    id: int | None = id_field()
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = created_at_field()
