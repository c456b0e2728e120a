"""One dispatcher cycle: snapshot, solve, write back."""

from dataclasses import dataclass
from datetime import datetime
from time import perf_counter

from sqlmodel import Session

from api.dispatcher.persist import persist_plan
from api.dispatcher.snapshot import DispatchRules, take_snapshot
from api.services.outbox import DISPATCH_CHANNEL, publish
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.guard import solve_within


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


def run_cycle(
    read: Session, write: Session, geography: Geography, rules: DispatchRules, now: datetime
) -> CycleReport:
    """Plan from what ``read`` sees; write the plan with ``write`` (the caller commits).

    The solver runs between the two, holding no transaction open.
    """
    began = perf_counter()
    snapshot = take_snapshot(read, geography, rules, now)
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
    return CycleReport(
        version=version,
        orders=len(snapshot.problem.orders),
        couriers=len(snapshot.problem.couriers),
        unassigned=plan.unassigned,
        solve_s=solve_s,
        total_s=perf_counter() - began,
        written=plan.found,
    )
