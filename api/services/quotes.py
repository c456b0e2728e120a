"""Pricing and checking a cart: server prices, itemised delivery fee, estimated delivery.

Every reason a cart cannot be delivered is collected and returned together, each naming the
field it concerns, so the customer can fix them all at once.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise, permutations
from typing import Final

import numpy as np
from sqlmodel import Session, func, select

from api.errors import InvalidInput
from api.models import Courier, DestinationKind, PaymentMethod, RelayPoint, VatClass
from api.schemas.doors import DoorDetails
from api.schemas.orders import (
    AddressDestination,
    CartRequest,
    DestinationPublic,
    FeeBreakdown,
    QuoteLine,
    QuotePublic,
    RelayDestination,
    RestaurantPart,
    VatLinePublic,
)
from api.services import paces, pacing, payments
from api.services.catalogue import opening_hours
from api.services.hours import describe, is_open, local, open_throughout
from api.services.roster import planned_at
from api.services.vat import vat_lines
from api.services.views import (
    DishView,
    HoursView,
    RestaurantView,
    dishes_by_id,
    restaurants_by_id,
)
from dispatch.geo.geography import Geography
from dispatch.geo.snapping import SnapError
from dispatch.planning.problem import quickest_collection_s
from dispatch.planning.promise import PROMISE_MARGIN_S, earliest_delivery_s

PICKUP_SERVICE: Final = timedelta(minutes=2)
DROPOFF_SERVICE: Final = timedelta(minutes=2)
PROMISE_MARGIN: Final = timedelta(seconds=PROMISE_MARGIN_S)
LONGEST_ADVANCE: Final = timedelta(days=7)
QUOTE_PROFILE: Final = "bike"


@dataclass(frozen=True)
class PricingRules:
    max_restaurants: int
    base_cents: int
    per_extra_restaurant_cents: int
    per_extra_km_cents: int
    timezone: str
    vat_rates_bp: Mapping[VatClass, int]
    delivery_vat_bp: int
    meal_voucher_daily_cap_cents: int


@dataclass(frozen=True)
class Quote:
    """A priced, deliverable cart: what the customer sees and what an order is made of."""

    public: QuotePublic
    dishes: dict[int, DishView]
    restaurants: dict[int, RestaurantView]
    promised_at: datetime
    relay_point: RelayPoint | None
    declared_minutes: dict[int, int]
    """Per kitchen, what it declared for its part (its slowest dish), for learning its pace."""
    earliest_at: datetime
    """The earliest delivery at the kitchens' pace, before the couriers' load: the plan's
    delay against it is the courier pool's load (pacing.courier_pool)."""
    rules: PricingRules
    """The alliance's rules it was priced by (VAT rates, the meal vouchers' cap)."""


Problem = dict[str, str]

NO_COURIER: Final = (
    "no courier is on shift right now: choose a delivery time, or order again once couriers are out"
)
"""An order as soon as possible needs someone to bring it: without, no time can be promised."""


def couriers_on_shift(session: Session) -> int:
    return int(
        session.exec(select(func.count()).select_from(Courier).where(Courier.on_shift)).one()
    )


def quote_cart(
    session: Session,
    cart: CartRequest,
    *,
    geography: Geography,
    rules: PricingRules,
    now: datetime,
) -> Quote:
    """Price the cart on the server, or raise InvalidInput listing every problem."""
    problems: list[Problem] = []
    dishes = _load_dishes(session, cart, problems)
    restaurants = _load_restaurants(session, dishes)
    hours = opening_hours(session, list(restaurants))
    _check_dishes(cart, dishes, restaurants, problems)
    if len(restaurants) > rules.max_restaurants:
        problems.append(
            {
                "field": "lines",
                "reason": f"an order may hold dishes from at most {rules.max_restaurants} "
                f"restaurants; this cart has {len(restaurants)}",
            }
        )
    destination, relay = _destination(session, cart, geography, problems)
    if cart.deliver_at is None and not couriers_on_shift(session):
        problems.append({"field": "deliver_at", "reason": NO_COURIER})
    if cart.deliver_at is not None and planned_at(session, cart.deliver_at, rules.timezone) == 0:
        slot = local(cart.deliver_at, rules.timezone)
        problems.append(
            {
                "field": "deliver_at",
                "reason": f"no courier is planned at {slot:%H:%M}: choose another time",
            }
        )
    if cart.payment_method is PaymentMethod.ONLINE_CARD and not payments.PROVIDERS:
        problems.append(
            {
                "field": "payment_method",
                "reason": "no online payment provider is enabled: pay on delivery or at the "
                "relay shop",
            }
        )
    if problems or destination is None:
        raise InvalidInput(problems)

    declared = _declared_minutes(cart, dishes)
    prep = _cooking_minutes(session, declared, restaurants)
    order_ids = sorted(restaurants)
    snapped = geography.snap(
        QUOTE_PROFILE,
        [restaurants[r].lat for r in order_ids] + [destination.lat],
        [restaurants[r].lon for r in order_ids] + [destination.lon],
    )
    travel = geography.matrix(QUOTE_PROFILE, snapped)
    metres = travel.distances_m

    whole_seconds = travel.whole_seconds()
    _check_hot_together(cart, dishes, restaurants, order_ids, whole_seconds, problems)

    caps = {rid: r.orders_per_quarter for rid, r in restaurants.items() if r.orders_per_quarter}
    taken = pacing.booked(session, caps, now)
    cooked = {rid: now + timedelta(minutes=prep[rid]) for rid in order_ids}
    notes: list[str] = []
    if cart.deliver_at is None:
        # Past a kitchen's cap an order as soon as possible is cooked for its first quarter
        # with room: a later time, not a refusal.
        for rid, cap in caps.items():
            room = pacing.first_room(rid, cap, cooked[rid], taken)
            if room is None:
                problems.append(
                    {"field": "lines", "reason": f"{restaurants[rid].name} is fully booked tonight"}
                )
            elif room > cooked[rid]:
                cooked[rid] = room
                notes.append(
                    f"{restaurants[rid].name} is fully booked until "
                    f"{local(room, rules.timezone):%H:%M}: your order is cooked for then"
                )
    best_eta, best_ready = _earliest(cooked, order_ids, whole_seconds, now), cooked

    deliver_at = cart.deliver_at
    if deliver_at is None:
        # The couriers' load on top of the kitchens' pace: an honest later time, not a refusal.
        delay = timedelta(seconds=pacing.courier_pool(session, now).delay_s)
        eta, ready_at = best_eta + delay, best_ready
        if delay >= timedelta(minutes=1):
            notes.append(
                f"our couriers are busy: delivery about {math.ceil(delay / timedelta(minutes=1))}"
                " min later than the kitchens alone would allow"
            )
        for rid, moment in ready_at.items():
            _check_open(problems, "lines", restaurants[rid], hours[rid], now, moment, rules)
    else:
        shift = deliver_at - best_eta
        eta = deliver_at
        ready_at = {rid: moment + shift for rid, moment in best_ready.items()}
        if shift < timedelta(0):
            problems.append(
                {
                    "field": "deliver_at",
                    "reason": "too soon: the earliest delivery is "
                    f"{local(best_eta, rules.timezone):%H:%M} ({rules.timezone} time)",
                }
            )
        elif deliver_at - now > LONGEST_ADVANCE:
            problems.append({"field": "deliver_at", "reason": "orders open 7 days ahead at most"})
        else:
            for rid, moment in ready_at.items():
                start = moment - timedelta(minutes=prep[rid])
                _check_open(
                    problems, "deliver_at", restaurants[rid], hours[rid], start, moment, rules
                )
            _check_room(problems, caps, ready_at, taken, restaurants, rules.timezone, deliver_at)
    if relay is not None:
        _check_relay_open(problems, relay, eta, rules.timezone)
    if problems:
        raise InvalidInput(problems)

    fee = _fee(metres, rules)
    delivery_fee = fee.total_cents

    lines = [
        QuoteLine(
            dish_id=line.dish_id,
            dish_name=dishes[line.dish_id].name,
            restaurant_id=dishes[line.dish_id].restaurant_id,
            quantity=line.quantity,
            note=line.note,
            unit_price_cents=dishes[line.dish_id].price_cents,
            line_total_cents=dishes[line.dish_id].price_cents * line.quantity,
            vat_rate_bp=rules.vat_rates_bp[dishes[line.dish_id].vat_class],
        )
        for line in cart.lines
    ]
    subtotals: dict[int, int] = defaultdict(int)
    for quoted in lines:
        subtotals[quoted.restaurant_id] += quoted.line_total_cents
    parts = [
        RestaurantPart(
            restaurant_id=rid,
            restaurant_name=restaurants[rid].name,
            subtotal_cents=subtotals[rid],
            prep_minutes=prep[rid],
            ready_at=ready_at[rid],
        )
        for rid in order_ids
    ]
    subtotal = sum(subtotals.values())
    public = QuotePublic(
        lines=lines,
        restaurants=parts,
        subtotal_cents=subtotal,
        delivery_fee_cents=delivery_fee,
        fee=fee,
        total_cents=subtotal + delivery_fee,
        destination=destination,
        deliver_at=deliver_at,
        estimated_delivery_at=eta,
        notes=notes,
        vat_lines=public_vat_lines(
            [(q.vat_rate_bp, q.line_total_cents) for q in lines]
            + [(rules.delivery_vat_bp, delivery_fee)]
        ),
        tip_cents=cart.tip_cents,
        payment_method=cart.payment_method,
        voucher_cents=min(subtotal, rules.meal_voucher_daily_cap_cents)
        if cart.payment_method is PaymentMethod.MEAL_VOUCHER
        else 0,
    )
    promised = eta if deliver_at is not None else eta + PROMISE_MARGIN
    return Quote(
        public,
        dishes,
        restaurants,
        promised,
        relay,
        declared,
        best_eta,
        rules,
    )


def public_vat_lines(lines: list[tuple[int, int]]) -> list[VatLinePublic]:
    """Lines of (rate, VAT-inclusive total) as the customer reads them (api.services.vat); a
    rate with nothing at it (a free delivery) is left out."""
    return [
        VatLinePublic(
            rate_pct=v.rate_pct,
            base_cents=v.base_cents,
            vat_cents=v.vat_cents,
            total_cents=v.total_cents,
        )
        for v in vat_lines(line for line in lines if line[1])
    ]


def _earliest(
    cooked: dict[int, datetime], order_ids: list[int], seconds: np.ndarray, now: datetime
) -> datetime:
    """The earliest delivery at the kitchens' pace (promise.earliest_delivery_s), each kitchen
    ready at its `cooked` time."""
    eta_s = earliest_delivery_s(
        0,
        [round((cooked[rid] - now).total_seconds()) for rid in order_ids],
        seconds,
        round(PICKUP_SERVICE.total_seconds()),
        round(DROPOFF_SERVICE.total_seconds()),
    )
    return now + timedelta(seconds=eta_s)


def _check_room(
    problems: list[Problem],
    caps: dict[int, int],
    ready_at: dict[int, datetime],
    taken: Counter[tuple[int, datetime]],
    restaurants: dict[int, RestaurantView],
    timezone: str,
    deliver_at: datetime,
) -> None:
    """A booked time whose kitchens' quarters are full is refused with the first time, five
    minutes at a time, that every kitchen of the cart can meet."""
    full = [rid for rid, cap in caps.items() if not pacing.has_room(rid, cap, ready_at[rid], taken)]
    if not full:
        return
    names = " and ".join(restaurants[rid].name for rid in full)
    later = None
    for step in range(1, pacing.LOOK_AHEAD * 3 + 1):
        shift = timedelta(minutes=5 * step)
        if all(
            pacing.has_room(rid, cap, ready_at[rid] + shift, taken) for rid, cap in caps.items()
        ):
            later = deliver_at + shift
            break
    offer = (
        f"; the first time every kitchen can meet is {local(later, timezone):%H:%M}"
        if later
        else ""
    )
    problems.append(
        {
            "field": "deliver_at",
            "reason": f"{names} is fully booked at {local(deliver_at, timezone):%H:%M}{offer}",
        }
    )


def _check_hot_together(
    cart: CartRequest,
    dishes: dict[int, DishView],
    restaurants: dict[int, RestaurantView],
    order_ids: list[int],
    seconds: np.ndarray,
    problems: list[Problem],
) -> None:
    """Every dish must reach the door within its freshness limit of leaving its kitchen; a
    cart whose kitchens are too far apart (or too far away) for that is refused at once,
    rather than delivered cold or never planned."""
    fragile = min((dishes[line.dish_id] for line in cart.lines), key=lambda d: d.freshness_minutes)
    quickest = quickest_collection_s(
        seconds,
        range(len(order_ids)),
        len(order_ids),
        int(PICKUP_SERVICE.total_seconds()),
    )
    if quickest > fragile.freshness_minutes * 60:
        names = " and ".join(restaurants[r].name for r in order_ids)
        problems.append(
            {
                "field": "lines",
                "reason": f"these dishes cannot arrive hot together: collecting them from "
                f"{names} and riding to you takes {math.ceil(quickest / 60)} min, and "
                f"{fragile.name} keeps {fragile.freshness_minutes} min; order from these "
                "restaurants separately",
            }
        )


def _fee(metres: np.ndarray, rules: PricingRules) -> FeeBreakdown:
    """Base fee, plus each extra kitchen, plus the street distance that combining them adds.

    ``metres`` holds the kitchens first and the destination last. The extra distance is the
    shortest ride through every kitchen to the door, less the nearest kitchen's direct ride.
    """
    kitchens, door = metres.shape[0] - 1, metres.shape[0] - 1
    combined = min(
        sum(float(metres[a, b]) for a, b in pairwise(sequence)) + float(metres[sequence[-1], door])
        for sequence in permutations(range(kitchens))
    )
    extra_m = max(0, round(combined - float(np.min(metres[:kitchens, door]))))
    return FeeBreakdown(
        base_cents=rules.base_cents,
        extra_restaurants=kitchens - 1,
        extra_restaurants_cents=(kitchens - 1) * rules.per_extra_restaurant_cents,
        extra_distance_m=extra_m,
        extra_distance_cents=round(extra_m * rules.per_extra_km_cents / 1000),
    )


def fee_for(
    geography: Geography,
    rules: PricingRules,
    kitchens: list[tuple[float, float]],
    door: tuple[float, float],
) -> FeeBreakdown:
    """The delivery fee for these kitchens (lat, lon) and this door."""
    points = geography.snap(
        QUOTE_PROFILE, [p[0] for p in [*kitchens, door]], [p[1] for p in [*kitchens, door]]
    )
    return _fee(geography.matrix(QUOTE_PROFILE, points).distances_m, rules)


def _load_dishes(
    session: Session, cart: CartRequest, problems: list[Problem]
) -> dict[int, DishView]:
    wanted = {line.dish_id for line in cart.lines}
    rows = dishes_by_id(session, wanted)
    dishes = {dish.id: dish for dish in rows}
    for i, line in enumerate(cart.lines):
        if line.dish_id not in dishes:
            problems.append({"field": f"lines.{i}.dish_id", "reason": "no such dish"})
    return dishes


def _load_restaurants(session: Session, dishes: dict[int, DishView]) -> dict[int, RestaurantView]:
    ids = {dish.restaurant_id for dish in dishes.values()}
    rows = restaurants_by_id(session, ids)
    return {r.id: r for r in rows}


def _check_dishes(
    cart: CartRequest,
    dishes: dict[int, DishView],
    restaurants: dict[int, RestaurantView],
    problems: list[Problem],
) -> None:
    wanted: dict[int, int] = defaultdict(int)
    for line in cart.lines:
        wanted[line.dish_id] += line.quantity
    paused_reported: set[int] = set()
    for i, line in enumerate(cart.lines):
        dish = dishes.get(line.dish_id)
        if dish is None:
            continue
        field = f"lines.{i}.dish_id"
        restaurant = restaurants[dish.restaurant_id]
        if (restaurant.paused or not restaurant.active) and restaurant.id not in paused_reported:
            paused_reported.add(dish.restaurant_id)
            problems.append(
                {"field": field, "reason": f"{restaurant.name} is not taking orders right now"}
            )
        if not dish.available or dish.portions_left == 0:
            problems.append({"field": field, "reason": f"{dish.name} is sold out"})
        elif dish.portions_left is not None and wanted[line.dish_id] > dish.portions_left:
            problems.append(
                {
                    "field": field,
                    "reason": f"only {dish.portions_left} portions of {dish.name} are left",
                }
            )


def _declared_minutes(cart: CartRequest, dishes: dict[int, DishView]) -> dict[int, int]:
    """What each kitchen declared for its part: its slowest dish."""
    declared: dict[int, int] = defaultdict(int)
    for line in cart.lines:
        dish = dishes[line.dish_id]
        declared[dish.restaurant_id] = max(declared[dish.restaurant_id], dish.prep_minutes)
    return dict(declared)


def _cooking_minutes(
    session: Session, declared: dict[int, int], restaurants: dict[int, RestaurantView]
) -> dict[int, int]:
    """Each kitchen's cooking time for its part, in whole minutes (paces.cooking_times)."""
    parts = {rid: paces.Part(rid, minutes * 60) for rid, minutes in declared.items()}
    busy = {rid: restaurants[rid].busy_extra_minutes for rid in declared}
    planned = paces.cooking_times(session, parts, busy)
    return {rid: math.ceil(estimate.median_s / 60) for rid, estimate in planned.items()}


def _destination(
    session: Session, cart: CartRequest, geography: Geography, problems: list[Problem]
) -> tuple[DestinationPublic | None, RelayPoint | None]:
    target = cart.destination
    if isinstance(target, RelayDestination):
        relay = session.get(RelayPoint, target.relay_point_id)
        if relay is None or not relay.active:
            problems.append(
                {"field": "destination.relay_point_id", "reason": "no such relay point"}
            )
            return None, None
        return (
            DestinationPublic(
                kind=DestinationKind.RELAY_POINT,
                address=f"{relay.name}, {relay.address}",
                lat=relay.lat,
                lon=relay.lon,
                relay_point_id=relay.id,
                relay_point_name=relay.name,
                relay_hours=relay.hours_text(),
            ),
            relay,
        )
    assert isinstance(target, AddressDestination)
    try:
        geography.locate(target.lat, target.lon)
    except SnapError as error:
        problems.append({"field": "destination", "reason": error.reason})
        return None, None
    destination = DestinationPublic(
        kind=DestinationKind.ADDRESS,
        address=target.address,
        lat=target.lat,
        lon=target.lon,
        **target.model_dump(include=set(DoorDetails.model_fields)),
    )
    return destination, None


def _check_open(
    problems: list[Problem],
    field: str,
    restaurant: RestaurantView,
    hours: list[HoursView],
    start: datetime,
    ready: datetime,
    rules: PricingRules,
) -> None:
    start_local, ready_local = local(start, rules.timezone), local(ready, rules.timezone)
    if open_throughout(hours, start_local, ready_local):
        return
    if is_open(hours, start_local):
        when = f"at {ready_local:%H:%M}"
    else:
        when = "now" if field == "lines" else f"at {start_local:%H:%M}"
    problems.append(
        {
            "field": field,
            "reason": f"{restaurant.name} is closed {when} "
            f"(hours on {start_local:%A}: {describe(hours, start_local.date())})",
        }
    )


def _check_relay_open(
    problems: list[Problem], relay: RelayPoint, eta: datetime, timezone: str
) -> None:
    arrival = local(eta, timezone).time()
    if relay.opens <= arrival < relay.closes:
        return
    problems.append(
        {
            "field": "destination.relay_point_id",
            "reason": f"{relay.name} is closed at {arrival:%H:%M} "
            f"(open {relay.opens:%H:%M}–{relay.closes:%H:%M})",
        }
    )
