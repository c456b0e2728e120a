"""When a kitchen that cooks for the courier starts a ticket: early enough that the courier
rarely waits for it, late enough that the food does not wait long at the counter."""

from typing import Final

FIRE_AHEAD_S: Final = 2 * 60
"""Kitchens finish late as often as early. Food a minute or two early waits at the counter
(the ready-to-door time counts it); a courier kept waiting delays every stop after it."""
JOINING_BAG_AHEAD_S: Final = 4 * 60
"""A bag that joins food of its order already collected fires further ahead: a late kitchen
there keeps the first bag riding, and it goes past its freshness limit."""


def cooking_lead_s(prep_s: int, joins_collected_food: bool) -> int:
    """How long before its planned pickup a ticket is started."""
    return prep_s + (JOINING_BAG_AHEAD_S if joins_collected_food else FIRE_AHEAD_S)
