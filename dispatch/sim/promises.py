"""The platform's quote in the simulator: what an order as soon as possible is promised.

The same rule as the product's quote (dispatch.planning.promise): the earliest delivery at the
kitchens' pace (the policy's belief of their cooking times, a courier at hand), the courier
pool's delay on top when the quote paces for the couriers, and the promise margin.
"""

from dataclasses import dataclass, field

from dispatch.planning.promise import (
    PROMISE_MARGIN_S,
    PoolLoad,
    Waiting,
    earliest_delivery_s,
    pool_load,
)
from dispatch.sim.engine import OrderSpec, PrepBelief, SimState

QUOTE_SERVICE_S = 2 * 60
"""The product's quote counts two minutes at each counter and at the door."""
QUOTE_PROFILE = "bike"


@dataclass
class QuotedPromise:
    """Promises as the product quotes them; `paces_couriers`: with the courier pool's delay."""

    prep: PrepBelief
    paces_couriers: bool
    earliest_s: dict[int, int] = field(default_factory=dict)
    """Order id -> its earliest delivery when quoted (the product stores it on the order)."""
    delays_s: list[int] = field(default_factory=list)
    """The pool's delay each quote added, in order."""

    def promise(self, state: SimState, order: OrderSpec) -> int:
        ready = [order.placed_s + self.prep.estimate(state, t).median_s for t in order.tickets]
        places = [t.restaurant for t in order.tickets] + [order.door]
        seconds = state.world.travel.seconds(QUOTE_PROFILE, places)
        earliest = earliest_delivery_s(
            order.placed_s, ready, seconds, QUOTE_SERVICE_S, QUOTE_SERVICE_S
        )
        self.earliest_s[order.order_id] = earliest
        delay = self.load(state).delay_s if self.paces_couriers else 0
        self.delays_s.append(delay)
        return earliest + delay + PROMISE_MARGIN_S

    def load(self, state: SimState) -> PoolLoad:
        """The pool's load from the couriers' current routes (the dispatcher's last plan)."""
        planned = {
            stop.order_id: stop.eta_s
            for courier in state.couriers.values()
            for stop in courier.route
            if stop.kind == "dropoff"
        }
        waiting = [
            Waiting(o.placed_s, self.earliest_s[o.order_id], planned.get(o.order_id))
            for o in state.open_orders()
            if o.order_id in self.earliest_s
        ]
        return pool_load(state.now, waiting)
