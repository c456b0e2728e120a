"""The domain's closed vocabularies, stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    KITCHEN = "kitchen"
    COURIER = "courier"
    OPERATOR = "operator"
    RELAY = "relay"
    """A relay shop's counter: receives the parcels and hands them to their customers."""


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    IN_PREPARATION = "in_preparation"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    AT_RELAY = "at_relay"
    """The relay shop confirmed it received the order: the customer may collect it."""
    COLLECTED = "collected"
    """The customer collected it at the relay shop with its code."""
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PREPARING = "preparing"
    READY = "ready"
    PICKED_UP = "picked_up"
    REFUSED = "refused"
    CANCELLED = "cancelled"


OPEN_ORDER_STATES = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PREPARATION,
    OrderStatus.OUT_FOR_DELIVERY,
)
"""An order still to cook, collect or deliver."""
ARRIVED_ORDER_STATES = frozenset(
    {OrderStatus.DELIVERED, OrderStatus.AT_RELAY, OrderStatus.COLLECTED}
)
"""The food reached the customer's door or the relay shop: its delivery is done (and timed)."""
ENDED_ORDER_STATES = ARRIVED_ORDER_STATES | {OrderStatus.CANCELLED}
"""Nothing left for the kitchens, the couriers or the dispatcher."""
OPEN_TICKET_STATES = frozenset(
    {TicketStatus.NEW, TicketStatus.ACCEPTED, TicketStatus.PREPARING, TicketStatus.READY}
)
"""A ticket still waiting for its courier."""
STARTED_TICKET_STATES = frozenset(
    {TicketStatus.PREPARING, TicketStatus.READY, TicketStatus.PICKED_UP}
)
ENDED_TICKET_STATES = frozenset({TicketStatus.REFUSED, TicketStatus.CANCELLED})


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


OPEN_ROUND_STATES = (RoundStatus.PLANNED, RoundStatus.ACTIVE)


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


class Fault(StrEnum):
    """Who a cancellation is put down to: the money issue's refunds read it."""

    CUSTOMER = "customer"
    KITCHEN = "kitchen"
    COURIER = "courier"
    ALLIANCE = "alliance"


class AuditAction(StrEnum):
    """What the operator did, as written in the audit log."""

    ASSIGN = "assign"
    PIN = "pin"
    UNPIN = "unpin"
    MOVE_STOPS = "move_stops"
    END_SHIFT = "end_shift"
    CANCEL_ORDER = "cancel_order"
    CANCEL_TICKET = "cancel_ticket"
    REFUND = "refund"
    PAUSE_KITCHEN = "pause_kitchen"
    RESUME_KITCHEN = "resume_kitchen"
    SET_BUSY = "set_busy"
    UNLOCK_CODE = "unlock_code"
    CREATE_RESTAURANT = "create_restaurant"
    EDIT_RESTAURANT = "edit_restaurant"
    SET_HOURS = "set_hours"
    CREATE_DISH = "create_dish"
    EDIT_DISH = "edit_dish"
    IMPORT_MENU = "import_menu"
    INVITE_USER = "invite_user"
    DEACTIVATE_USER = "deactivate_user"
    RESET_PASSWORD = "reset_password"  # noqa: S105  (an action, not a secret)
    EDIT_COURIER = "edit_courier"


class MailKind(StrEnum):
    """What an e-mail to the customer tells: one per moment of the order worth a mail."""

    CONFIRMED = "confirmed"
    PART_REFUSED = "part_refused"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AT_RELAY = "at_relay"
    DELIVERED = "delivered"


class Language(StrEnum):
    """The languages the customer's mails (and pages) are written in."""

    FR = "fr"
    EN = "en"


class VatClass(StrEnum):
    """French VAT on what the alliance sells: food for immediate consumption is at 10 %,
    alcoholic drinks at 20 %, and packaged food for later (an unopened pot of soup) at 5.5 %."""

    FOOD = "food_10"
    ALCOHOL = "alcohol_20"
    PACKAGED = "packaged_5_5"


class LedgerKind(StrEnum):
    """The money event a journal transaction records."""

    SALE = "sale"
    """An order handed over: the customer owes its total; kitchens, fees and VAT are owed."""
    COMMISSION = "commission"
    """The alliance's commission on a kitchen's part of a sale, charged to the kitchen."""
    COURIER_PAY = "courier_pay"
    """What a courier earned in a shift, owed by the alliance."""
    PAYMENT = "payment"
    """The customer paid, as the courier or the relay shop confirmed."""
    REFUND = "refund"
    """The customer is owed money back, charged to whoever was at fault."""
    ADJUSTMENT = "adjustment"


class PaymentMethod(StrEnum):
    """How the customer pays, on delivery or at the relay shop (no online payment provider
    is enabled: see the README)."""

    CARD = "card"
    CASH = "cash"
    MEAL_VOUCHER = "meal_voucher"
    """Titres-restaurant for the dishes, up to their daily cap; the rest by card."""
    ONLINE_CARD = "online_card"
    """By card at checkout, through an online provider (payments.PROVIDERS): none is enabled."""


class DocumentKind(StrEnum):
    """A numbered document issued to a customer: never changed once issued."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
