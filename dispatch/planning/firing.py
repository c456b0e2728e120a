"""When a kitchen that cooks for the courier starts a ticket: early enough that the courier
rarely waits for it, late enough that the food does not wait long at the counter."""

from typing import Final

from dispatch.planning.prep import PrepEstimate

FIRE_AHEAD_S: Final = 2 * 60
"""Kitchens finish late as often as early. Food a minute or two early waits at the counter
(the ready-to-door time counts it); a courier kept waiting delays every stop after it."""
JOINING_BAG_AHEAD_S: Final = 4 * 60
"""A bag that joins food of its order already collected fires further ahead: a late kitchen
there keeps the first bag riding, and it goes past its freshness limit."""


def cooking_lead_s(prep: PrepEstimate, joins_collected_food: bool) -> int:
    """How long before its planned pickup a ticket is started: the kitchen's median time plus a
    margin; a bag joining collected food at least the kitchen's upper quantile ahead, so that a
    kitchen that often runs late starts earlier and every part of the cart is ready together."""
    if joins_collected_food:
        return max(prep.median_s + JOINING_BAG_AHEAD_S, prep.upper_s)
    return prep.median_s + FIRE_AHEAD_S
