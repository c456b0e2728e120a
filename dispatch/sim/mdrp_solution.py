"""A simulated MDRP day written as the data set's solution files.

The public evaluator of Grubhub's instances (mdrplib, `MDRP_code/compute_performance_summary.py`)
reads three files from a folder, whitespace-separated with one header line, times in whole
minutes of the day:

- `solution_info_assignments.txt`: `assignment_time pickup_time courier order...`, one row per
  counter visit: the orders collected there, in the order they are delivered;
- `solution_info_orders.txt`: `order placement_time restaurant x y ready_time pickup_time
  dropoff_time courier`, one row per order (`NA` where it was not delivered);
- `solution_info_couriers.txt`: `courier departure_time origin destination`, one row per ride,
  the first from the courier's own on-duty place (named by the courier).

`dispatch.sim.mdrp_check` reads them back and checks every rule on its own.
"""

from pathlib import Path

from dispatch.sim.engine import SimulationResult
from dispatch.sim.mdrp import MdrpInstance

ASSIGNMENTS = "solution_info_assignments.txt"
ORDERS = "solution_info_orders.txt"
COURIERS = "solution_info_couriers.txt"
NOT_DELIVERED = "NA"


def minutes(seconds: int) -> int:
    """Whole minutes: the evaluator truncates times, so a fraction would move a stop."""
    if seconds % 60:
        raise ValueError(
            f"{seconds} s is not a whole minute: simulate with a cycle of whole minutes"
        )
    return seconds // 60


def counter_visits(
    instance: MdrpInstance, result: SimulationResult
) -> list[tuple[int, int, int, list[int]]]:
    """(assignment moment, pickup moment, courier id, order ids in delivery order) per visit.

    Bags collected in a row at one counter are one visit, picked up when the last is handed
    over; the assignment is the latest moment one of them was given to the courier.
    """
    world, state = instance.world, result.state
    ticket_of = {t.ticket_id: (o.order_id, t.restaurant) for o in world.orders for t in o.tickets}
    visits: list[tuple[int, int, int, list[int]]] = []
    for courier in state.couriers.values():
        groups: list[tuple[int, list[int]]] = []  # (restaurant place, ticket ids); -1: a door
        for kind, _order_id, ticket_id, _moment in courier.log:
            if kind != "pickup" or ticket_id is None:
                groups.append((-1, []))
            elif groups and groups[-1][0] == ticket_of[ticket_id][1]:
                groups[-1][1].append(ticket_id)
            else:
                groups.append((ticket_of[ticket_id][1], [ticket_id]))
        for place, ticket_ids in groups:
            if place < 0:
                continue
            orders = sorted(
                {ticket_of[t][0] for t in ticket_ids},
                key=lambda o: state.delivered_s.get(o, 10**12),
            )
            visits.append(
                (
                    max(courier.assigned_s[t] for t in ticket_ids),
                    max(state.picked_s[t] for t in ticket_ids),
                    courier.spec.courier_id,
                    orders,
                )
            )
    return sorted(visits)


def write_solution(instance: MdrpInstance, result: SimulationResult, folder: Path) -> None:
    """The day as the three solution files in `folder` (created if need be)."""
    world, state = instance.world, result.state
    folder.mkdir(parents=True, exist_ok=True)
    names, couriers = instance.place_names, instance.courier_names
    lines = ["assignment_time pickup_time courier orders"]
    for assigned, picked, courier_id, orders in counter_visits(instance, result):
        bundle = " ".join(instance.order_names[o] for o in orders)
        lines.append(f"{minutes(assigned)} {minutes(picked)} {couriers[courier_id]} {bundle}")
    (folder / ASSIGNMENTS).write_text("\n".join(lines) + "\n")

    x, y = instance.travel.x, instance.travel.y
    lines = ["order placement_time restaurant x y ready_time pickup_time dropoff_time courier"]
    for order in world.orders:
        (ticket,) = order.tickets
        delivered = order.order_id in state.delivered_s
        pickup = f"{minutes(state.picked_s[ticket.ticket_id])}" if delivered else NOT_DELIVERED
        dropoff = f"{minutes(state.delivered_s[order.order_id])}" if delivered else NOT_DELIVERED
        carrier = couriers[state.picked_by[ticket.ticket_id]] if delivered else NOT_DELIVERED
        lines.append(
            f"{instance.order_names[order.order_id]} {minutes(order.placed_s)} "
            f"{names[ticket.restaurant]} {x[order.door]:g} {y[order.door]:g} "
            f"{minutes(ticket.ready_s)} {pickup} {dropoff} {carrier}"
        )
    (folder / ORDERS).write_text("\n".join(lines) + "\n")

    lines = ["courier departure_time origin destination"]
    for run in state.couriers.values():
        for departed, origin, destination in run.legs:
            lines.append(
                f"{couriers[run.spec.courier_id]} {minutes(departed)} "
                f"{names[origin]} {names[destination]}"
            )
    (folder / COURIERS).write_text("\n".join(lines) + "\n")
