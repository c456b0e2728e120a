"""One dispatcher cycle: snapshot, solve, write back."""

from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter

from sqlmodel import Session

from api.dispatcher.persist import persist_plan
from api.dispatcher.snapshot import DispatchRules, take_snapshot
from api.dispatcher.zones import claim, lend
from api.services.outbox import DISPATCH_CHANNEL, publish
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.guard import solve_within
from dispatch.planning.zones import CURED_BY_A_COURIER, LEND_RESERVE, WHOLE_CITY, ZoneMap


@dataclass(frozen=True)
class CycleReport:
    version: int
    orders: int
    couriers: int
    unassigned: list[int]
    solve_s: float
    total_s: float
    written: bool


def rules_from(settings: Settings) -> DispatchRules:
    return DispatchRules(
        time_limit_s=settings.dispatch_time_limit_s,
        pickup_service_s=round(settings.pickup_service_minutes * 60),
        dropoff_service_s=round(settings.dropoff_service_minutes * 60),
        hard_max_s=settings.hard_max_minutes * 60,
        objective=settings.dispatch_objective,
    )


@dataclass(frozen=True)
class ZoneScope:
    """Which zone a dispatcher plans, in which map of zones, and what it keeps before lending."""

    zones: ZoneMap = field(default_factory=ZoneMap.whole_city)
    zone: str = WHOLE_CITY
    lend_reserve: int = LEND_RESERVE


def run_cycle(
    read: Session,
    write: Session,
    geography: Geography,
    rules: DispatchRules,
    now: datetime,
    scope: ZoneScope | None = None,
) -> CycleReport:
    """Claim the zone's new orders and shifts, plan from what ``read`` sees, write the plan
    with ``write``, then lend or take back couriers; each step commits.

    The solver runs between the two, holding no transaction open. Lending has a transaction
    of its own: it locks another zone's couriers, which the plan's write-back must not hold
    while it waits (two zones would wait on each other).
    """
    scope = scope or ZoneScope()
    began = perf_counter()
    claim(write, scope.zones, scope.zone)
    write.commit()
    snapshot = take_snapshot(read, geography, rules, now, scope.zone)
    read.commit()  # end the read transaction: the solver holds nothing open
    solve_began = perf_counter()
    # In a child process, back by the budget's end whatever OR-Tools does (dispatch.planning.guard).
    plan = solve_within(snapshot.problem, warm_start=snapshot.previous)
    solve_s = perf_counter() - solve_began
    # The version is counted in the write transaction: each committed cycle gets the next
    # number, whether or not its plan changed any round (a count of rounds repeated itself).
    version = publish(
        write,
        DISPATCH_CHANNEL,
        "plan.made",
        {
            "zone": scope.zone,
            "orders": len(snapshot.problem.orders),
            "couriers": len(snapshot.problem.couriers),
            "unassigned": plan.unassigned,
            # Why each waits: for the operator's alerts (issue 16) and the quote.
            "unplaced": {str(order): why.value for order, why in plan.reasons.items()},
            "found": plan.found,
        },
    )
    if plan.found:
        persist_plan(write, snapshot, plan, version)
    write.commit()
    if plan.found:
        waiting = [o for o, why in plan.reasons.items() if why in CURED_BY_A_COURIER]
        lend(write, scope.zone, sorted(waiting), scope.lend_reserve)
        write.commit()
    return CycleReport(
        version=version,
        orders=len(snapshot.problem.orders),
        couriers=len(snapshot.problem.couriers),
        unassigned=plan.unassigned,
        solve_s=solve_s,
        total_s=perf_counter() - began,
        written=plan.found,
    )
