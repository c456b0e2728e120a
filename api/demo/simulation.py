"""The demo alliance as the simulator sees it: its restaurants, its roster and its quote's rule
for multi-kitchen carts (the simulator takes them as data; it never reads the web side)."""

from api.demo.alliance import COURIERS, RESTAURANTS
from api.services.quotes import PICKUP_SERVICE, QUOTE_PROFILE
from dispatch.sim.scenario import Alliance, CourierShift, ScenarioDish, ScenarioRestaurant
from dispatch.sim.world import QuoteRule

QUOTE_RULE = QuoteRule(QUOTE_PROFILE, int(PICKUP_SERVICE.total_seconds()))


def demo_alliance() -> Alliance:
    """The demo's restaurants with their prep and freshness times, and its couriers' vehicles
    and bags."""
    restaurants = tuple(
        ScenarioRestaurant(
            name=r.name,
            lat=r.lat,
            lon=r.lon,
            prep_minutes=r.default_prep_minutes,
            dishes=[
                ScenarioDish(prep_minutes=d.prep_minutes, freshness_minutes=d.freshness_minutes)
                for d in r.dishes
            ],
        )
        for r in RESTAURANTS
    )
    roster = tuple(
        CourierShift(count=1, vehicle=c.vehicle.value, bag_capacity=c.bag_capacity)
        for c in COURIERS
    )
    return Alliance(restaurants, roster)
