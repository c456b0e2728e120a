"""The operator's report of a day or a period."""

from datetime import date

from pydantic import BaseModel, Field


class HourFigures(BaseModel):
    hour: int = Field(description="Local hour the orders were placed in")
    orders: int
    revenue_cents: int


class KitchenFigures(BaseModel):
    restaurant_id: int
    name: str
    tickets: int
    refused: int
    revenue_cents: int
    accept_minutes_mean: float | None = Field(description="From the ticket to its acceptance")
    prep_minutes_mean: float | None = Field(description="Real: from start to ready")
    declared_prep_minutes_mean: float | None = Field(
        description="What the kitchen declared for the same tickets (their slowest dish)"
    )
    planned_prep_minutes_mean: float | None = Field(
        description="What the same tickets were planned with: the learned time, busy minutes on"
    )
    learned_factor: float = Field(
        description="The kitchen's learned pace now: real over declared on a quiet night"
    )
    learned_per_open_ticket: float = Field(
        description="How much slower it is learned to be for each other ticket cooking"
    )
    learned_tickets: int = Field(description="Closed tickets its pace was learned from")


class CourierFigures(BaseModel):
    courier_id: int
    name: str
    shift_hours: float
    delivered: int
    orders_per_hour: float | None = Field(description="Orders delivered per hour on shift")
    utilisation: float | None = Field(
        description="Share of the hours on shift riding a round (first arrival to last stop)"
    )


class Trouble(BaseModel):
    order_id: int
    kind: str = Field(description="late or cancelled")
    cause: str
    fault: str | None = None


class Report(BaseModel):
    start: date
    end: date
    orders: int
    delivered: int
    cancelled: int
    revenue_cents: int
    kpis: dict[str, object] = Field(
        description="dispatch.sim.metrics.delivery_kpis: the simulator's definitions (minutes)"
    )
    hours: list[HourFigures]
    kitchens: list[KitchenFigures]
    couriers: list[CourierFigures]
    troubles: list[Trouble]
