"""What a simulated day achieved: the KPIs, and our own check of every riding rule."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.planning.intake import door_opens_s
from dispatch.sim.engine import SimulationResult, World

SLOT_GRACE_S = 10 * 60
"""A scheduled order is on time from its door opening until this long after its slot."""


def check(result: SimulationResult) -> list[str]:
    """Everything the simulated day did against the rules; empty when it is feasible.

    Each order's bags collected by one courier, not before placement nor before they were
    ready, all before the door, a scheduled one not before its door opens; never more bags
    than the courier's capacity; pickups within the courier's duty (on time to off time).
    """
    world, state = result.world, result.state
    orders = {o.order_id: o for o in world.orders}
    problems: list[str] = []
    for courier in state.couriers.values():
        spec, load = courier.spec, 0
        picked: dict[int, int] = {}
        for kind, order_id, ticket_id, moment in courier.log:
            order = orders[order_id]
            if kind == "pickup":
                assert ticket_id is not None
                ticket = next(t for t in order.tickets if t.ticket_id == ticket_id)
                load += 1
                picked[ticket_id] = moment
                ready = state.ready_at(ticket)
                if moment < order.placed_s or ready is None or moment < ready:
                    problems.append(f"courier {spec.courier_id}: ticket {ticket_id} taken early")
                if not spec.on_s <= moment <= spec.off_s:
                    problems.append(f"courier {spec.courier_id}: pickup off duty at {moment}")
                if load > spec.capacity:
                    problems.append(f"courier {spec.courier_id}: {load} bags at {moment}")
            else:
                missing = [t.ticket_id for t in order.tickets if t.ticket_id not in picked]
                if missing:
                    problems.append(f"order {order_id}: at the door without tickets {missing}")
                if order.slot_s is not None and moment < door_opens_s(order.slot_s):
                    problems.append(f"order {order_id}: at the door before its slot")
                load -= len(order.tickets)
    for order in world.orders:
        takers = {state.picked_by.get(t.ticket_id) for t in order.tickets}
        if order.order_id in state.delivered_s and len(takers) != 1:
            problems.append(
                f"order {order.order_id}: split over couriers {sorted(map(str, takers))}"
            )
    return problems


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), share * 100))


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


@dataclass(frozen=True)
class Delivered:
    """One delivered order, in seconds on one clock: what the delivery KPIs are made of."""

    placed_s: int
    delivered_s: int
    ready_s: tuple[int, ...]
    """When each bag was ready."""
    picked_s: tuple[int, ...]
    """When each bag was collected (same order as ready_s)."""
    freshness_s: int
    slot_s: int | None = None
    promised_s: int | None = None


def durations_of(orders: Sequence[Delivered]) -> dict[str, list[int]]:
    """Seconds of every delivered order: click-to-door (as soon as possible) or past its slot
    (scheduled, negative when early), ready-to-door (from its last bag ready); and of every
    bag collected: ready-to-pickup."""
    return {
        "click-to-door": [o.delivered_s - o.placed_s for o in orders if o.slot_s is None],
        "past-slot": [o.delivered_s - o.slot_s for o in orders if o.slot_s is not None],
        "ready-to-door": [o.delivered_s - max(o.ready_s, default=o.placed_s) for o in orders],
        "ready-to-pickup": [
            p - r for o in orders for r, p in zip(o.ready_s, o.picked_s, strict=True)
        ],
    }


def delivery_kpis(orders: Sequence[Delivered], asap_orders: int) -> dict[str, object]:
    """The delivery figures of a day, simulated or real (the operator's report reads this):
    ``asap_orders`` counts the orders as soon as possible, delivered or not."""
    times = durations_of(orders)
    click_to_door, ready_to_door = times["click-to-door"], times["ready-to-door"]
    ready_to_pickup, past_slot = times["ready-to-pickup"], times["past-slot"]
    spreads = [max(o.picked_s) - min(o.picked_s) for o in orders if len(o.picked_s) > 1]
    ready_spreads = [max(o.ready_s) - min(o.ready_s) for o in orders if len(o.ready_s) > 1]
    promised = [o for o in orders if o.promised_s is not None]
    asap = max(1, asap_orders)
    return {
        "ctd_mean": _minutes(float(np.mean(click_to_door)) if click_to_door else None),
        "ctd_p90": _minutes(_percentile(click_to_door, 0.9)),
        "ctd_share_le_40": round(sum(v <= 40 * 60 for v in click_to_door) / asap, 4),
        "ctd_share_gt_90": round(sum(v > 90 * 60 for v in click_to_door) / asap, 4),
        "within_promise_share": (
            round(sum(o.delivered_s <= (o.promised_s or 0) for o in promised) / len(promised), 4)
            if promised
            else None
        ),
        "scheduled_on_time_share": (
            round(sum(v <= SLOT_GRACE_S for v in past_slot) / len(past_slot), 4)
            if past_slot
            else None
        ),
        "past_slot_p90": _minutes(_percentile(past_slot, 0.9)),
        "r2d_p50": _minutes(_percentile(ready_to_door, 0.5)),
        "r2d_p90": _minutes(_percentile(ready_to_door, 0.9)),
        "r2d_max": _minutes(max(ready_to_door) if ready_to_door else None),
        "r2p_mean": _minutes(float(np.mean(ready_to_pickup)) if ready_to_pickup else None),
        "r2p_p90": _minutes(_percentile(ready_to_pickup, 0.9)),
        "multi_kitchen_orders": len(spreads),
        "pickup_spread_mean": _minutes(float(np.mean(spreads)) if spreads else None),
        "pickup_spread_max": _minutes(max(spreads) if spreads else None),
        "ready_spread_p90": _minutes(_percentile(ready_spreads, 0.9)),
        "beyond_freshness": sum(
            1 for o in orders if any(o.delivered_s - p > o.freshness_s for p in o.picked_s)
        ),
    }


def delivered_of(result: SimulationResult) -> list[Delivered]:
    """The simulated day's delivered orders as the KPIs read them."""
    state = result.state
    return [
        Delivered(
            placed_s=o.placed_s,
            delivered_s=state.delivered_s[o.order_id],
            ready_s=tuple(
                state.ready_at(t) or 0 for t in o.tickets if t.ticket_id in state.picked_s
            ),
            picked_s=tuple(
                state.picked_s[t.ticket_id] for t in o.tickets if t.ticket_id in state.picked_s
            ),
            freshness_s=o.freshness_s,
            slot_s=o.slot_s,
        )
        for o in result.world.orders
        if o.order_id in state.delivered_s
    ]


def durations(result: SimulationResult) -> dict[str, list[int]]:
    return durations_of(delivered_of(result))


def undeliverable(world: World) -> list[int]:
    """Orders no courier may collect under the world's rules: ready after every shift ends."""
    if not world.pickups_by_off_time:
        return []
    last_off = max((c.off_s for c in world.couriers), default=0)
    return [o.order_id for o in world.orders if max(t.ready_s for t in o.tickets) > last_off]


def arrival_spreads(result: SimulationResult) -> list[int]:
    """Per delivered multi-kitchen order, how far apart its bags were ready against its
    courier's arrival at each counter (the largest ready-minus-arrival less the smallest): 0
    when every bag was ready the same time before (or after) the courier came for it."""
    state = result.state
    spreads = []
    for order in result.world.orders:
        if len(order.tickets) < 2 or order.order_id not in state.delivered_s:
            continue
        offsets = [
            (state.ready_at(t) or 0) - state.arrived_s[t.ticket_id]
            for t in order.tickets
            if t.ticket_id in state.arrived_s
        ]
        if len(offsets) > 1:
            spreads.append(max(offsets) - min(offsets))
    return spreads


def kpis(result: SimulationResult) -> dict[str, object]:
    """The service's figures: delivery times, food waiting, couriers' work and pay, solver time."""
    world, state = result.world, result.state
    delivered = [o for o in world.orders if o.order_id in state.delivered_s]
    duty_s = sum(max(0, c.spec.off_s - c.spec.on_s) for c in state.couriers.values())
    busy_s = sum(c.busy_s for c in state.couriers.values())
    metres = sum(c.metres for c in state.couriers.values())
    pay = sum(
        max(
            world.pay_per_order * c.delivered,
            world.guaranteed_pay_per_hour * max(0, c.spec.off_s - c.spec.on_s) / 3600,
        )
        for c in state.couriers.values()
    )
    count = len(world.orders)
    asap = max(1, sum(1 for o in world.orders if o.slot_s is None))
    return {
        "orders": count,
        "delivered": len(delivered),
        "unassigned": count - len(delivered),
        "undeliverable": len(undeliverable(world)),
        "carts_refused": world.carts_refused,
        "scheduled": sum(1 for o in world.orders if o.slot_s is not None),
        **{
            key: value
            for key, value in delivery_kpis(delivered_of(result), asap).items()
            if key != "within_promise_share"  # a simulated order has no promise
        },
        "arrival_spread_p90": _minutes(_percentile(arrival_spreads(result), 0.9)),
        "courier_utilisation": round(busy_s / duty_s, 4) if duty_s else None,
        "orders_per_courier_hour": round(len(delivered) / (duty_s / 3600), 3) if duty_s else None,
        "km_per_order": round(metres / 1000 / len(delivered), 3) if delivered else None,
        "pay_total": round(pay, 2),
        "pay_per_order": round(pay / len(delivered), 2) if delivered else None,
        "solver_p50_s": round(_percentile(result.solve_seconds, 0.5) or 0.0, 4),
        "solver_p95_s": round(_percentile(result.solve_seconds, 0.95) or 0.0, 4),
        "feasible": not check(result),
        "seconds": round(result.wall_seconds, 1),
    }


MISSED_BY_S = 10 * 60
"""A promise missed by more than this is a broken one (issue 18's pacing target)."""


def broken_promises(result: SimulationResult, placed_between: tuple[int, int] | None = None) -> int:
    """Orders as soon as possible (placed in this window, if one is given) delivered more than
    MISSED_BY_S after the time they were promised when placed, or never delivered."""
    state = result.state
    low, high = placed_between if placed_between is not None else (-(2**62), 2**62)
    return sum(
        1
        for order in state.released.values()
        if order.slot_s is None
        and low <= order.placed_s < high
        and state.delivered_s.get(order.order_id, 2**62) > order.promised_s + MISSED_BY_S
    )
