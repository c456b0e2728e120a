"""What couriers send and see: shifts, positions, their round and its stops."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.models import StopKind, Vehicle

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class PositionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude


class ShiftStart(PositionUpdate):
    vehicle: Vehicle | None = Field(default=None, description="Defaults to the courier's own")


class ShiftPublic(BaseModel):
    courier_id: int
    on_shift: bool
    vehicle: Vehicle
    started_at: datetime
    planned_end_at: datetime
    ended_at: datetime | None


class ShiftSummary(BaseModel):
    """One shift worked, as the courier's history shows it."""

    started_at: datetime
    ended_at: datetime | None
    vehicle: Vehicle
    minutes: int = Field(description="Worked so far, or in all once ended")
    pickups: int
    deliveries: int = Field(description="Doors reached and parcels handed to relay shops")
    off_site_steps: int = Field(description="Steps done away from their stop, with a reason")
    earned_cents: int = Field(
        description="Each delivery at its rate, never less than the whole minutes at the "
        "guaranteed hourly rate (rounded down to the cent; CHAUD_COURIER_PAY_*)"
    )


class StopAction(BaseModel):
    """Where the courier is when saying Arrived or Done, and why, when far from the stop."""

    model_config = ConfigDict(extra="forbid")
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    reason: Annotated[
        str | None, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)
    ] = Field(default=None, description="Why here and not at the stop: the operator sees it")


class ShiftState(BaseModel):
    """Whether the courier is on shift now, and that shift: what the page shows on a reload."""

    on_shift: bool
    shift: ShiftPublic | None


class StopPublic(BaseModel):
    id: int
    kind: StopKind
    order_id: int
    restaurant_id: int | None
    lat: float
    lon: float
    eta: datetime | None
    leave_at: datetime | None = Field(
        description="A pickup's set-off time: leave then to arrive as planned; before it the "
        "dispatcher may still change the round"
    )
    instructions: str
    address: str = Field(description="Where to go: the kitchen's, the relay's or the door's")
    floor: str = ""
    door_code: str = ""
    notes: str = Field(default="", description="The customer's entry notes")
    phone: str = Field(
        default="",
        description="The customer's phone, only while the order is out for delivery",
    )
    shop_confirms: bool = Field(
        description="A drop-off at a relay shop: done when the shop confirms it received it"
    )
    arrived_at: datetime | None
    done_at: datetime | None


class RoundPublic(BaseModel):
    round_id: int | None
    courier_id: int
    plan_version: int
    next_stop_id: int | None
    stops: list[StopPublic]
    geometry: list[list[tuple[float, float]]] = Field(
        description="Street path of each remaining leg, from the courier's position, as (lat, lon)"
    )
    attribution: str


class CodeUnlocked(BaseModel):
    stop_id: int
    order_id: int
    code_attempts: int
