"""What a simulated dispatcher believes a ticket's cooking time is: what the kitchen declared,
what it has learned from the tickets closed so far (dispatch.planning.prep, as the product
does), or the truth (an oracle, the ceiling of what learning can give)."""

from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Final

import numpy as np

from dispatch.planning.prep import (
    DECLARED,
    UPPER_QUANTILE,
    Pace,
    PrepEstimate,
    PrepSample,
    fit_pace,
)
from dispatch.sim.engine import SimState, TicketSpec, World

UPPER_LUCK: Final = NormalDist().inv_cdf(UPPER_QUANTILE)
"""The luck of a ticket at the upper quantile of its kitchen's true pace."""
EARLIER_LOADS: Final = 7
"""An earlier evening's tickets started with 0 to 6 others cooking."""


def earlier_evening(
    world: World, tickets_per_kitchen: int, seed: int
) -> dict[int, list[PrepSample]]:
    """Closed tickets of an earlier evening in the same kitchens (their true pace, fresh luck),
    for a dispatcher that starts the evening with a history."""
    rng = np.random.default_rng([seed, 17])
    declared: dict[int, list[int]] = {}
    for order in world.orders:
        for ticket in order.tickets:
            declared.setdefault(ticket.restaurant, []).append(ticket.prep_s)
    history: dict[int, list[PrepSample]] = {}
    for kitchen, pace in enumerate(world.paces):
        times = declared.get(kitchen)
        if not times:
            continue
        samples = []
        for _ in range(tickets_per_kitchen):
            prep = int(rng.choice(times))
            load = int(rng.integers(0, EARLIER_LOADS))
            real = pace.real_s(prep, load, float(rng.standard_normal()))
            samples.append(PrepSample(prep, load, real))
        history[kitchen] = samples
    return history


def _load(state: SimState, ticket: TicketSpec) -> int:
    """The load the ticket cooks (or would cook now) at."""
    started = state.load_at_start.get(ticket.ticket_id)
    return started if started is not None else state.load(ticket.restaurant, state.now)


class DeclaredPrep:
    """The kitchens' declared times, as they are (the platform before learning)."""

    name = "declared"

    def estimate(self, state: SimState, ticket: TicketSpec) -> PrepEstimate:
        return DECLARED.estimate(ticket.prep_s, _load(state, ticket))

    def learn(self, state: SimState) -> None:
        return None


class LearnedPrep:
    """Each kitchen's pace fitted on its closed tickets, refitted as each one becomes ready;
    from an empty history, or a warm one (earlier evenings)."""

    def __init__(self, history: Mapping[int, Sequence[PrepSample]] | None = None) -> None:
        self.samples = {k: list(v) for k, v in (history or {}).items()}
        self.paces: dict[int, Pace] = {k: fit_pace(v) for k, v in self.samples.items()}
        self.name = "learned_warm" if history else "learned_cold"
        self._seen: set[int] = set()
        self._tickets: dict[int, TicketSpec] = {}

    def estimate(self, state: SimState, ticket: TicketSpec) -> PrepEstimate:
        pace = self.paces.get(ticket.restaurant, DECLARED)
        return pace.estimate(ticket.prep_s, _load(state, ticket))

    def learn(self, state: SimState) -> None:
        if not self._tickets:
            self._tickets = {t.ticket_id: t for o in state.world.orders for t in o.tickets}
        changed: set[int] = set()
        for ticket_id, started in state.started_s.items():
            cooked = state.cooked_s[ticket_id]
            if ticket_id in self._seen or cooked > state.now:
                continue
            self._seen.add(ticket_id)
            ticket = self._tickets[ticket_id]
            sample = PrepSample(ticket.prep_s, state.load_at_start[ticket_id], cooked - started)
            self.samples.setdefault(ticket.restaurant, []).append(sample)
            changed.add(ticket.restaurant)
        for kitchen in changed:
            self.paces[kitchen] = fit_pace(self.samples[kitchen])


class TruePrep:
    """The truth: each kitchen's real pace at the ticket's load (`oracle`: what perfect learning
    converges to, the ceiling of learning; its upper quantile is the true one), or also each
    ticket's luck (`clairvoyant`: the realised time, which no estimate can know beforehand)."""

    def __init__(self, knows_luck: bool = False) -> None:
        self.knows_luck = knows_luck
        self.name = "clairvoyant" if knows_luck else "oracle"

    def estimate(self, state: SimState, ticket: TicketSpec) -> PrepEstimate:
        started = state.started_s.get(ticket.ticket_id)
        if self.knows_luck and started is not None:
            real = state.cooked_s[ticket.ticket_id] - started
            return PrepEstimate(real, real)
        pace = state.world.paces[ticket.restaurant]
        load = _load(state, ticket)
        if self.knows_luck:
            real = pace.real_s(ticket.prep_s, load, ticket.luck)
            return PrepEstimate(real, real)
        return PrepEstimate(
            pace.real_s(ticket.prep_s, load, 0.0), pace.real_s(ticket.prep_s, load, UPPER_LUCK)
        )

    def learn(self, state: SimState) -> None:
        return None
