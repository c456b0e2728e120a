"""Simulation scenarios: restaurants, demand, couriers and dispatch settings, from TOML.

A scenario file names only what it changes: its restaurants and couriers default to those of
the alliance it is read for (an `Alliance`, passed in by the caller: the demo's, for the
command line), every other figure to the Paris demo's evening. Times are hours from the start
of the simulated period.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dispatch.planning.problem import DEFAULT_OBJECTIVE, Objective

DEFAULT_TEAM: Final = 12
"""Couriers on duty when a scenario names none: the alliance's roster taken in turn."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used: the field and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioDish(_Strict):
    prep_minutes: int = Field(ge=1, le=180)
    freshness_minutes: int = Field(ge=5, le=240)


class ScenarioRestaurant(_Strict):
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    prep_minutes: int = Field(ge=1, le=180)
    """The kitchen's own preparation time; a dish that takes longer sets the order's."""
    dishes: list[ScenarioDish] = Field(min_length=1)


class Spike(_Strict):
    """A rush on top of the demand's profile: `orders_per_hour` more orders, evenly at random,
    from `start_minute` of the period for `minutes`."""

    start_minute: int = Field(ge=0)
    minutes: int = Field(ge=1, le=600)
    orders_per_hour: float = Field(gt=0, le=2000)


class Demand(_Strict):
    orders_per_hour: float = Field(120, gt=0, le=2000)
    """At the busiest hour of the profile."""
    hourly_profile: list[float] | None = None
    """Relative order rate for each hour of the period (the busiest is orders_per_hour);
    None: a dinner peak, 60 % of the rate at the edges of the period and all of it mid-way."""
    multi_restaurant_share: float = Field(1 / 3, ge=0, le=1)
    """Share of the orders whose cart holds dishes of 2 or 3 kitchens."""
    kitchen_spread_minutes: float = Field(3, ge=0, le=60)
    """Standard deviation of a kitchen's real cooking time around its estimate."""
    promise_minutes: int = Field(40, ge=10, le=180)
    scheduled_share: float = Field(0, ge=0, le=1)
    """Share of the orders placed for a chosen delivery time rather than as soon as possible."""
    scheduled_ahead_minutes: tuple[int, int] = (60, 150)
    """How long after placement a scheduled order's slot falls, drawn evenly in this range."""
    spike: Spike | None = None

    @model_validator(mode="after")
    def _profile_has_a_busy_hour(self) -> "Demand":
        profile = self.hourly_profile
        if profile is not None and (min(profile, default=-1) < 0 or max(profile) <= 0):
            raise ValueError("hourly_profile needs non-negative rates, one of them positive")
        low, high = self.scheduled_ahead_minutes
        if not 15 <= low <= high <= 24 * 60:
            raise ValueError("scheduled_ahead_minutes: 15 <= earliest <= latest <= 1440")
        return self


class KitchenTruth(_Strict):
    """Kitchens whose real cooking times differ from what they declared, as real ones do: each
    kitchen `optimism` times slower than its word on average across kitchens (spread by
    `optimism_spread`), slower with each other ticket it has cooking (`per_open_ticket` on
    average, between half and one and a half times it per kitchen), each ticket off by a
    log-normal luck of `noise`. Absent: kitchens cook in their declared time, give or take
    the demand's `kitchen_spread_minutes`."""

    optimism: float = Field(1.25, ge=0.5, le=3)
    optimism_spread: float = Field(0.2, ge=0, le=1)
    per_open_ticket: float = Field(0.05, ge=0, le=0.5)
    noise: float = Field(0.15, ge=0, le=1)


class CourierShift(_Strict):
    count: int = Field(ge=1, le=1000)
    vehicle: Literal["bike", "ebike", "scooter"] = "bike"
    bag_capacity: int = Field(4, ge=1, le=12)
    start_hour: float = Field(0, ge=0)
    end_hour: float | None = None
    """Default: an hour after the period ends, to deliver the last orders."""


class DispatchSettings(_Strict):
    time_limit_s: float = Field(0.5, gt=0, le=30)
    """Solver time per cycle, at most."""
    cycle_s: int = Field(60, ge=10, le=900)
    plan_on_orders: bool = True
    """Also plan the moment an order arrives, as `chaud dispatcher run` does."""
    objective: Objective = DEFAULT_OBJECTIVE


@dataclass(frozen=True)
class Alliance:
    """What a scenario takes from the alliance it simulates: its restaurants and its roster
    (one shift per courier, taken in turn to make a team of any size)."""

    restaurants: tuple[ScenarioRestaurant, ...]
    roster: tuple[CourierShift, ...]

    def team(self, count: int) -> list[CourierShift]:
        """`count` couriers of the roster, taken in turn, all on for the whole period."""
        return [self.roster[i % len(self.roster)] for i in range(count)]


class Scenario(_Strict):
    name: str = Field("paris-demo", min_length=1)
    seed: int = 1
    hours: float = Field(3.0, gt=0, le=24)
    restaurants: list[ScenarioRestaurant] = Field(min_length=1)
    demand: Demand = Demand()
    couriers: list[CourierShift] = Field(min_length=1)
    dispatch: DispatchSettings = DispatchSettings()
    kitchens: KitchenTruth | None = None

    @model_validator(mode="after")
    def _shifts_within_reach(self) -> "Scenario":
        for number, shift in enumerate(self.couriers):
            end = shift.end_hour if shift.end_hour is not None else self.hours + 1
            if end <= shift.start_hour:
                raise ValueError(f"couriers.{number}: end_hour must come after start_hour")
        if self.demand.hourly_profile is not None and len(self.demand.hourly_profile) < self.hours:
            raise ValueError("demand.hourly_profile: needs a rate for every hour of the period")
        return self


def demo_scenario(
    alliance: Alliance,
    *,
    orders_per_hour: float = 120,
    couriers: int = 12,
    hours: float = 3.0,
    multi_share: float = 1 / 3,
    seed: int = 1,
) -> Scenario:
    """The alliance's restaurants and roster on a Paris demo evening, with these figures."""
    return Scenario(
        name=f"paris-demo-{orders_per_hour:g}oph-{couriers}c-seed{seed}",
        seed=seed,
        hours=hours,
        restaurants=list(alliance.restaurants),
        demand=Demand(orders_per_hour=orders_per_hour, multi_restaurant_share=multi_share),
        couriers=alliance.team(couriers),
    )


def _scaled_team(team: list[CourierShift], total: int) -> list[CourierShift]:
    """The same shifts, their counts scaled to `total` couriers in all (largest remainders)."""
    whole = sum(shift.count for shift in team)
    shares = [shift.count * total / whole for shift in team]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(team)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return [
        shift.model_copy(update={"count": count})
        for shift, count in zip(team, counts, strict=True)
        if count
    ]


def with_changes(
    scenario: Scenario,
    *,
    couriers: int | None = None,
    orders_per_hour: float | None = None,
    hours: float | None = None,
    multi_share: float | None = None,
    seed: int | None = None,
) -> Scenario:
    """The scenario with some figures changed, checked again; a team scaled to `couriers`
    keeps its mix of shifts and vehicles. For asking "and with 18 couriers?"."""
    data = scenario.model_dump()
    demand = data["demand"]
    if couriers is not None:
        data["couriers"] = [s.model_dump() for s in _scaled_team(scenario.couriers, couriers)]
    if orders_per_hour is not None:
        demand["orders_per_hour"] = orders_per_hour
    if multi_share is not None:
        demand["multi_restaurant_share"] = multi_share
    if hours is not None:
        data["hours"] = hours
    if seed is not None:
        data["seed"] = seed
    changed = [
        f"{label}{value:g}"
        for label, value in (
            ("c", couriers),
            ("oph", orders_per_hour),
            ("h", hours),
            ("multi", multi_share),
            ("seed", seed),
        )
        if value is not None
    ]
    if changed:
        data["name"] = "-".join([scenario.name, *changed])
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_reasons(error)) from error


def _reasons(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'scenario'}: {e['msg']}" for e in error.errors()
    )


def load_scenario(path: Path, alliance: Alliance) -> Scenario:
    """Read and check a TOML scenario, the alliance's restaurants and team where it names
    none; ScenarioError names the field and the reason."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{path}: {error}") from error
    data.setdefault("restaurants", [r.model_dump() for r in alliance.restaurants])
    data.setdefault("couriers", [c.model_dump() for c in alliance.team(DEFAULT_TEAM)])
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(f"{path}: {_reasons(error)}") from error
