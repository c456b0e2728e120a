"""The domain's closed vocabularies, stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    KITCHEN = "kitchen"
    COURIER = "courier"
    OPERATOR = "operator"


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    IN_PREPARATION = "in_preparation"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PREPARING = "preparing"
    READY = "ready"
    PICKED_UP = "picked_up"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class DestinationKind(StrEnum):
    ADDRESS = "address"
    RELAY_POINT = "relay_point"


class Vehicle(StrEnum):
    BIKE = "bike"
    EBIKE = "ebike"
    SCOOTER = "scooter"


class RoundStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class Station(StrEnum):
    GRILL = "grill"
    STOVE = "stove"
    FRYER = "fryer"
    OVEN = "oven"
    COLD = "cold"
    PASTRY = "pastry"
    BAR = "bar"


class RelayKind(StrEnum):
    TOBACCONIST = "tobacconist"
    BAKERY = "bakery"
    GROCERY = "grocery"


class Allergen(StrEnum):
    """The 14 allergens that EU regulation 1169/2011 requires a menu to declare."""

    GLUTEN = "gluten"
    CRUSTACEANS = "crustaceans"
    EGGS = "eggs"
    FISH = "fish"
    PEANUTS = "peanuts"
    SOY = "soy"
    MILK = "milk"
    NUTS = "nuts"
    CELERY = "celery"
    MUSTARD = "mustard"
    SESAME = "sesame"
    SULPHITES = "sulphites"
    LUPIN = "lupin"
    MOLLUSCS = "molluscs"
