"""The operator's audit log: who stepped in, when, on what, and why."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field
from api.models.enums import AuditAction


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_subject", "subject_kind", "subject_id"),)

    id: int | None = id_field()
    actor_id: int = Field(foreign_key="users.id", index=True)
    action: AuditAction = Field(sa_type=enum_type(AuditAction, length=40))
    subject_kind: str = Field(max_length=30, description="order, courier, restaurant, stop")
    subject_id: int
    reason: str = Field(default="", max_length=300)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    at: datetime = created_at_field()
