"""Kitchens at their real pace in the simulator: the truth, and dispatchers planning on declared,
learned or true cooking times (tiny worlds on a straight street, one minute between places)."""

from dataclasses import replace

from dispatch.planning.promise import PROMISE_MARGIN_S
from dispatch.sim.engine import (
    CourierSpec,
    OrderSpec,
    SimState,
    SimulationResult,
    TicketSpec,
    TruePace,
    simulate,
)
from dispatch.sim.metrics import broken_promises, kpis
from dispatch.sim.policies import DispatcherPolicy
from dispatch.sim.prep_beliefs import DeclaredPrep, LearnedPrep, TruePrep, earlier_evening
from dispatch.sim.promises import QuotedPromise
from tests.test_simulation import MIN, one_courier_world

TEN = 10 * MIN


def _ticket(ticket_id: int, kitchen: int, luck: float = 0.0) -> TicketSpec:
    return TicketSpec(ticket_id, kitchen, TEN, TEN, prep_s=TEN, luck=luck)


def test_a_kitchen_cooks_at_its_true_pace_slower_with_each_ticket_it_has_cooking() -> None:
    """Kitchen 2 takes 1.5 times its word, 10 % more for each other ticket cooking."""
    paces = (TruePace(), TruePace(), TruePace(factor=1.5, per_open_ticket=0.1))
    world = replace(one_courier_world(), fire_for_courier=True, paces=paces)
    state = SimState(world, 0, {}, {})
    first, second = _ticket(1, 2), _ticket(2, 2)
    state.start(first, 0)
    state.start(second, 60)
    assert state.load_at_start == {1: 0, 2: 1}
    assert state.ready_at(first) == 15 * MIN
    assert state.ready_at(second) == 60 + round(TEN * 1.5 * 1.1)
    assert state.load(2, 15 * MIN) == 1, "the first is ready, the second still cooking"


def _two_kitchens_world(slow: float) -> tuple[OrderSpec, ...]:
    """Kitchens at 1 and 6 both declare 10 minutes; the one at 6 really takes `slow` times it;
    the door is at 7 and the dishes keep 15 minutes."""
    order = OrderSpec(1, 0, 7, (_ticket(1, 1), _ticket(2, 6)), 40 * MIN, freshness_s=15 * MIN)
    return (order,)


def test_a_slow_second_kitchen_planned_on_its_word_keeps_the_first_bag_riding() -> None:
    """Told to start 14 minutes before the courier comes, the kitchen that really takes 20 keeps
    the courier (and the first kitchen's food) waiting at its counter; planned on its true time,
    it starts in time and the first bag rides within its freshness limit."""
    paces = tuple(TruePace(factor=2.0 if place == 6 else 1.0) for place in range(12))
    world = replace(
        one_courier_world(), orders=_two_kitchens_world(2.0), fire_for_courier=True, paces=paces
    )
    declared = simulate(world, DispatcherPolicy(0.2, prep=DeclaredPrep()))
    truth = simulate(world, DispatcherPolicy(0.2, prep=TruePrep()))

    def first_bag_ride(state: SimState) -> int:
        return state.delivered_s[1] - state.picked_s[1]

    assert first_bag_ride(declared.state) > 15 * MIN
    assert first_bag_ride(truth.state) <= 15 * MIN
    assert kpis(truth)["beyond_freshness"] == 0
    on_truth, on_word = kpis(truth)["ready_spread_p90"], kpis(declared)["ready_spread_p90"]
    assert isinstance(on_truth, float)
    assert isinstance(on_word, float)
    assert on_truth < on_word, "the slow kitchen started early: both bags ready together"


def test_an_evening_teaches_the_dispatcher_each_kitchens_pace() -> None:
    """Twenty-four orders from the kitchen at 2, which takes 1.5 times its word: learned from
    empty, the dispatcher ends the evening believing most of it (the rest is the shrinkage
    towards the kitchen's word of a short history)."""
    orders = tuple(
        OrderSpec(n, n * 12 * MIN, 5, (_ticket(n, 2, luck=(-1) ** n * 0.5),), (n * 12 + 40) * MIN)
        for n in range(1, 25)
    )
    paces = tuple(TruePace(factor=1.5, noise=0.1) for _ in range(12))
    world = replace(one_courier_world(), orders=orders, fire_for_courier=True, paces=paces)
    learned = LearnedPrep()
    assert learned.name == "learned_cold"
    simulate(world, DispatcherPolicy(0.2, prep=learned))
    samples = learned.samples[2]
    assert len(samples) == 24
    believed = [learned.paces[2].estimate(TEN, s.load).median_s / TEN for s in samples]
    assert 1.35 <= sum(believed) / len(believed) <= 1.6


def test_an_earlier_evening_is_drawn_from_the_same_kitchens() -> None:
    orders = tuple(
        OrderSpec(n, n * MIN, 5, (_ticket(n, 2 if n % 2 else 3),), 40 * MIN) for n in range(1, 9)
    )
    paces = tuple(TruePace(factor=2.0 if place == 3 else 1.0) for place in range(12))
    world = replace(one_courier_world(), orders=orders, fire_for_courier=True, paces=paces)
    history = earlier_evening(world, tickets_per_kitchen=30, seed=1)
    assert sorted(history) == [2, 3], "only kitchens that cook in this world"
    warm = LearnedPrep(history)
    assert warm.name == "learned_warm"
    assert 0.9 <= warm.paces[2].factor(0) <= 1.1
    assert 1.7 <= warm.paces[3].factor(0) <= 2.0, "30 tickets: most of the way to 2"


def test_a_quote_that_paces_for_the_couriers_keeps_its_promises_on_a_rush() -> None:
    """One courier carrying one bag at a time, five orders in five minutes from the kitchen at
    1 to the door at 6: fourteen minutes there and back for each. The kitchens' pace alone
    promises every order about 30 minutes, and the last three arrive at 45, 59 and 73; the
    pool's delay reads the plan's queue and promises the later orders later."""
    orders = tuple(
        OrderSpec(
            n,
            (n - 1) * MIN,
            6,
            (TicketSpec(n, 1, (n + 9) * MIN, (n + 9) * MIN, prep_s=TEN),),
            (n + 39) * MIN,
        )
        for n in range(1, 6)
    )
    world = replace(
        one_courier_world(),
        orders=orders,
        couriers=(CourierSpec(1, start=1, on_s=0, off_s=6 * 3600, capacity=1),),
    )

    def rush(paces_couriers: bool) -> tuple[SimulationResult, QuotedPromise]:
        promiser = QuotedPromise(DeclaredPrep(), paces_couriers=paces_couriers)
        policy = DispatcherPolicy(0.2)
        return simulate(world, policy, plan_on_orders=True, promiser=promiser), promiser

    alone, alone_quote = rush(False)
    paced, paced_quote = rush(True)
    first = alone.state.released[1]
    assert first.promised_s == 10 * MIN + 2 * MIN + 5 * MIN + 2 * MIN + PROMISE_MARGIN_S
    assert alone_quote.delays_s == [0] * 5
    assert broken_promises(alone) == 3
    assert paced_quote.delays_s[0] == 0, "nobody waiting yet"
    assert paced_quote.delays_s[-1] >= 20 * MIN, "the last order joins the queue of four"
    promised = [paced.state.released[n].promised_s for n in range(1, 6)]
    assert promised == sorted(promised)
    assert broken_promises(paced) < broken_promises(alone)
