"""The promise of an order as soon as possible: the kitchens' pace, then the couriers' load.

Tiny named cases of dispatch.planning.promise; the product's quote and the operator's pool line
on the demo alliance with real dispatcher cycles.
"""

from datetime import datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from dispatch.geo.geography import Geography
from dispatch.planning.promise import (
    COURIER_APPROACH_S,
    DELAY_QUANTILE,
    RECENT_S,
    Waiting,
    earliest_delivery_s,
    pool_load,
)
from tests.test_dispatcher import NEAR_OBERKAMPF, Alliance, cycle
from tests.test_ops import GALETTE, Operator
from tests.test_quotes import cart

MIN = 60


def test_the_earliest_delivery_collects_the_kitchens_in_the_order_that_lands_soonest() -> None:
    # Kitchen 0 is ready in 20 min, kitchen 1 in 5; 4 min between them, the door 6 min from 0
    # and 9 from 1. Collecting 1 first (ready) then 0 lands at 20+2+6+2 = 30 min.
    seconds = np.array([[0, 4 * MIN, 6 * MIN], [4 * MIN, 0, 9 * MIN], [6 * MIN, 9 * MIN, 0]])
    eta = earliest_delivery_s(0, [20 * MIN, 5 * MIN], seconds, 2 * MIN, 2 * MIN)
    assert eta == 30 * MIN


def test_a_ready_bag_still_waits_for_the_courier_to_come() -> None:
    seconds = np.array([[0, 3 * MIN], [3 * MIN, 0]])
    eta = earliest_delivery_s(100, [0], seconds, 2 * MIN, 2 * MIN)
    assert eta == 100 + COURIER_APPROACH_S + 2 * MIN + 3 * MIN + 2 * MIN


def test_couriers_that_keep_up_add_nothing() -> None:
    orders = [Waiting(placed_s=-t, earliest_s=1800 - t, planned_s=1700 - t) for t in range(5)]
    load = pool_load(0, orders)
    assert (load.open_orders, load.without_courier, load.delay_s) == (5, 0, 0)


def test_the_end_of_the_queue_sets_the_delay_not_the_old_orders() -> None:
    # Orders placed long ago were planned on time; the five placed lately are planned 20 min
    # behind the kitchens' pace: an order placed now joins them.
    old = [Waiting(-RECENT_S - 600, 600, 600) for _ in range(10)]
    recent = [Waiting(-60 * i, 1800, 1800 + 20 * MIN) for i in range(5)]
    assert pool_load(0, old + recent).delay_s == 20 * MIN


def test_an_order_without_a_courier_waits_behind_every_planned_delivery() -> None:
    # The plan delivers two orders in the next 40 minutes: one every 20. The order it gives no
    # courier counts as arriving 20 minutes after the last of them, at 60 minutes.
    on_time = Waiting(-600, 20 * MIN, 20 * MIN)
    behind = Waiting(-300, 30 * MIN, 40 * MIN)
    stranded = Waiting(-60, 20 * MIN, None)
    load = pool_load(0, [on_time, behind, stranded])
    assert load.without_courier == 1
    delays = [0, 10 * MIN, 60 * MIN - 20 * MIN]
    assert load.delay_s == int(np.quantile(delays, DELAY_QUANTILE))


def test_with_no_open_order_there_is_no_delay() -> None:
    assert pool_load(0, []).delay_s == 0


def _eta(quote: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(quote["estimated_delivery_at"]))


def test_a_pool_that_cannot_carry_more_makes_quotes_honestly_later(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    operator = Operator(alliance)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    quiet = client.post("/api/v1/quotes", json=cart(session, GALETTE)).json()
    assert quiet["notes"] == []
    # One courier, a dozen orders at once: the plan brings the last ones far behind the
    # kitchens' pace, or gives them no courier.
    for n in range(12):
        alliance.order(GALETTE, key=f"rush-{n}")
    cycle(session, geography, settings, clock)
    pool = client.get("/api/v1/ops/pool", headers=operator.headers)
    assert pool.status_code == 200, pool.text
    load = pool.json()
    assert load["open_orders"] == 12
    assert load["delay_minutes"] >= 15, load
    busy = client.post("/api/v1/quotes", json=cart(session, GALETTE)).json()
    later = (_eta(busy) - _eta(quiet)) / timedelta(minutes=1)
    assert load["delay_minutes"] - 1 <= later <= load["delay_minutes"], (later, load)
    assert any("couriers are busy" in note for note in busy["notes"]), busy["notes"]
    # The promise keeps the quote's margin on top of the later time.
    assert datetime.fromisoformat(
        alliance.order(GALETTE, key="after-the-rush")["promised_at"]
    ) == _eta(busy) + timedelta(minutes=10)


def test_orders_no_plan_has_placed_yet_wait_behind_and_do_not_feed_the_delay(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    # A rush between two plans: the orders placed since the last plan carry their quote's
    # estimate, which already holds the pool's delay. Read back as "planned then", each
    # quote pushed the next one later, without end (promises reached the year 5400 on the
    # production stack's drill). They count as having no courier yet.
    alliance = Alliance(client, session, settings, clock)
    operator = Operator(alliance)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    for n in range(12):
        alliance.order(GALETTE, key=f"planned-{n}")
    cycle(session, geography, settings, clock)
    planned = client.get("/api/v1/ops/pool", headers=operator.headers).json()
    for n in range(30):
        alliance.order(GALETTE, key=f"between-plans-{n}")
    load = client.get("/api/v1/ops/pool", headers=operator.headers).json()
    assert load["open_orders"] == 42
    assert load["without_courier"] == planned["without_courier"] + 30, (planned, load)
