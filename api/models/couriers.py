"""Couriers shared by the alliance, their shifts and positions, their rounds and stops."""

from datetime import datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field, moment_field
from api.models.enums import RoundStatus, StopKind, Vehicle


class Courier(SQLModel, table=True):
    __tablename__ = "couriers"
    __table_args__ = (
        sa.UniqueConstraint("user_id"),
        sa.CheckConstraint("bag_capacity > 0", name="bag_capacity_positive"),
    )

    id: int | None = id_field()
    user_id: int = Field(foreign_key="users.id")
    name: str = Field(max_length=120)
    vehicle: Vehicle = Field(sa_type=enum_type(Vehicle))
    bag_capacity: int = Field(description="How many kitchen bags (tickets) fit at once")
    usual_shift_starts: time = Field(description="Planned daily shift, local time")
    usual_shift_ends: time
    on_shift: bool = False
    lat: float | None = None
    lon: float | None = None
    position_at: datetime | None = moment_field()
    created_at: datetime = created_at_field()


class RosterShift(SQLModel, table=True):
    """A planned shift of the week: the quote counts who will be out, a shift started in it
    ends at its end."""

    __tablename__ = "roster_shifts"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("ends > starts", name="ends_after_starts"),
    )

    id: int | None = id_field()
    courier_id: int = Field(foreign_key="couriers.id", index=True, ondelete="CASCADE")
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    starts: time = Field(description="Local time")
    ends: time


class CourierShift(SQLModel, table=True):
    """A shift actually worked: started and ended by the courier."""

    __tablename__ = "courier_shifts"

    id: int | None = id_field()
    courier_id: int = Field(foreign_key="couriers.id", index=True)
    vehicle: Vehicle = Field(sa_type=enum_type(Vehicle))
    started_at: datetime = created_at_field()
    planned_end_at: datetime = moment_field(nullable=False)
    ended_at: datetime | None = moment_field()
    zone: str | None = Field(default=None, max_length=60, index=True)
    """The dispatch zone planning this courier now; None until a zone's dispatcher claims it."""
    home_zone: str | None = Field(default=None, max_length=60)
    """Where the shift began: a courier lent elsewhere comes back here."""


class CourierPosition(SQLModel, table=True):
    __tablename__ = "courier_positions"
    __table_args__ = (sa.Index("ix_courier_positions_courier_id_at", "courier_id", "at"),)

    id: int | None = id_field()
    courier_id: int = Field(foreign_key="couriers.id")
    lat: float
    lon: float
    at: datetime = created_at_field()


class Round(SQLModel, table=True):
    """One courier's planned sequence of pickups and drop-offs."""

    __tablename__ = "rounds"
    __table_args__ = (sa.Index("ix_rounds_courier_id_status", "courier_id", "status"),)

    id: int | None = id_field()
    courier_id: int = Field(foreign_key="couriers.id")
    status: RoundStatus = Field(default=RoundStatus.PLANNED, sa_type=enum_type(RoundStatus))
    plan_version: int = Field(default=0, description="Dispatcher cycle that last wrote it")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    completed_at: datetime | None = moment_field()


class Stop(SQLModel, table=True):
    __tablename__ = "stops"
    __table_args__ = (
        sa.Index("ix_stops_round_id_position", "round_id", "position"),
        # One order, one courier: an order has one door stop, a ticket one pickup stop; the
        # dispatcher moves these rows between rounds rather than copying them.
        sa.Index(
            "ux_stops_order_dropoff",
            "order_id",
            unique=True,
            sqlite_where=sa.text("kind = 'dropoff'"),
            postgresql_where=sa.text("kind = 'dropoff'"),
        ),
        sa.Index(
            "ux_stops_ticket_pickup",
            "ticket_id",
            unique=True,
            sqlite_where=sa.text("ticket_id IS NOT NULL"),
            postgresql_where=sa.text("ticket_id IS NOT NULL"),
        ),
    )

    id: int | None = id_field()
    round_id: int = Field(foreign_key="rounds.id", ondelete="CASCADE")
    position: int = Field(ge=0, description="Order of the stop within its round")
    kind: StopKind = Field(sa_type=enum_type(StopKind))
    order_id: int = Field(foreign_key="orders.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    lat: float
    lon: float
    eta: datetime | None = moment_field()
    leave_at: datetime | None = moment_field(
        description="When the courier sets off for this pickup (planning.problem.sets_off_s): "
        "until then the dispatcher may plan the courier otherwise"
    )
    arrived_at: datetime | None = moment_field()
    done_at: datetime | None = moment_field()
    off_site_m: int | None = Field(
        default=None, description="How far from the stop the courier said Arrived or Done"
    )
    off_site_reason: str | None = Field(
        default=None,
        max_length=200,
        description="Why, as the courier said it: the operator sees it",
    )
    code_attempts: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Wrong relay codes the shop typed for this drop-off's order; locked at "
        "MAX_CODE_ATTEMPTS",
    )
