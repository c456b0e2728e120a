"""The demo alliance: fictional kitchens on real streets of the bundled Paris extract.

Every location is the middle of a street segment of the OpenStreetMap extract (République /
Oberkampf / Marais), so each one snaps to the named street within a few metres.
"""

from dataclasses import dataclass, field
from datetime import time
from typing import Final

from api.models.enums import Allergen as A  # noqa: N817  (menus read better short)
from api.models.enums import RelayKind, Station, Vehicle

DEMO_PASSWORD: Final = "chaud-demo"  # noqa: S105  (published in the README)
DEMO_DOMAIN: Final = "chaud.demo"

Hours = dict[int, tuple[tuple[time, time], ...]]


def every_day(*periods: tuple[str, str], closed: tuple[int, ...] = ()) -> Hours:
    """The same opening periods each weekday (0 = Monday), except the closed days."""
    parsed = tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods)
    return {day: parsed for day in range(7) if day not in closed}


@dataclass(frozen=True)
class DemoDish:
    name: str
    price_cents: int
    prep_minutes: int
    station: Station
    allergens: tuple[A, ...] = ()
    description: str = ""
    daily_portions: int | None = None
    freshness_minutes: int = 25


@dataclass(frozen=True)
class DemoRestaurant:
    slug: str
    name: str
    cuisine: str
    street: str
    address: str
    lat: float
    lon: float
    default_prep_minutes: int
    hours: Hours
    dishes: tuple[DemoDish, ...]
    description: str = ""
    auto_accept: bool = False


@dataclass(frozen=True)
class DemoRelayPoint:
    slug: str
    name: str
    kind: RelayKind
    street: str
    address: str
    lat: float
    lon: float
    opens: time
    closes: time


@dataclass(frozen=True)
class DemoCourier:
    number: int
    name: str
    vehicle: Vehicle
    bag_capacity: int
    shift: tuple[time, time] = field(default=(time(11), time(23)))


D = DemoDish
S = Station
LUNCH_DINNER = every_day(("11:30", "14:30"), ("18:30", "23:00"))
ALL_DAY = every_day(("11:00", "23:30"))

RESTAURANTS: Final[tuple[DemoRestaurant, ...]] = (
    DemoRestaurant(
        slug="comptoir-oberkampf",
        name="Le Comptoir d'Oberkampf",
        cuisine="bistro",
        street="Rue Oberkampf",
        address="Rue Oberkampf, 75011 Paris",
        lat=48.864817,
        lon=2.373368,
        default_prep_minutes=15,
        hours=ALL_DAY,
        description="Bistro classics, cooked to order.",
        auto_accept=True,
        dishes=(
            D("Œufs mayonnaise", 650, 5, S.COLD, (A.EGGS, A.MUSTARD)),
            D("Poireaux vinaigrette", 700, 5, S.COLD, (A.MUSTARD, A.SULPHITES)),
            D("Soupe à l'oignon gratinée", 950, 12, S.STOVE, (A.GLUTEN, A.MILK, A.SULPHITES)),
            D(
                "Steak frites",
                1950,
                15,
                S.GRILL,
                (),
                "Bavette, shallot sauce, hand-cut fries",
                freshness_minutes=20,
            ),
            D("Confit de canard, pommes sarladaises", 2100, 14, S.OVEN, ()),
            D(
                "Blanquette de veau",
                1900,
                10,
                S.STOVE,
                (A.MILK, A.CELERY, A.GLUTEN),
                daily_portions=20,
            ),
            D("Croque-monsieur", 1200, 8, S.OVEN, (A.GLUTEN, A.MILK)),
            D("Salade de chèvre chaud", 1400, 8, S.OVEN, (A.GLUTEN, A.MILK, A.MUSTARD, A.NUTS)),
            D("Mousse au chocolat", 750, 2, S.PASTRY, (A.EGGS, A.MILK)),
            D("Crème brûlée", 800, 3, S.PASTRY, (A.EGGS, A.MILK)),
        ),
    ),
    DemoRestaurant(
        slug="creperie-bretagne",
        name="Crêperie de la Rue de Bretagne",
        cuisine="crêperie",
        street="Rue de Bretagne",
        address="Rue de Bretagne, 75003 Paris",
        lat=48.862679,
        lon=2.362947,
        default_prep_minutes=10,
        hours=every_day(("11:30", "22:30")),
        dishes=(
            D("Galette complète", 1050, 8, S.STOVE, (A.EGGS, A.MILK), "Ham, egg, emmental"),
            D("Galette forestière", 1250, 9, S.STOVE, (A.MILK,), "Mushrooms, cream, comté"),
            D("Galette saumon fumé", 1400, 8, S.STOVE, (A.FISH, A.MILK)),
            D("Galette andouille moutarde", 1300, 9, S.STOVE, (A.MUSTARD, A.SULPHITES)),
            D("Crêpe beurre sucre", 500, 4, S.STOVE, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Crêpe caramel beurre salé", 750, 4, S.STOVE, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Crêpe Suzette", 900, 6, S.STOVE, (A.GLUTEN, A.EGGS, A.MILK, A.SULPHITES)),
            D("Cidre brut (75 cl)", 1100, 1, S.BAR, (A.SULPHITES,)),
        ),
    ),
    DemoRestaurant(
        slug="bouillon-colette",
        name="Bouillon Colette",
        cuisine="bouillon",
        street="Rue Vieille du Temple",
        address="Rue Vieille du Temple, 75003 Paris",
        lat=48.859913,
        lon=2.360667,
        default_prep_minutes=12,
        hours=LUNCH_DINNER,
        dishes=(
            D("Bouillon de poule", 600, 5, S.STOVE, (A.CELERY,)),
            D("Hareng pommes à l'huile", 700, 4, S.COLD, (A.FISH, A.MUSTARD)),
            D("Bœuf bourguignon", 1500, 8, S.STOVE, (A.SULPHITES, A.CELERY), daily_portions=25),
            D("Petit salé aux lentilles", 1350, 8, S.STOVE, (A.CELERY,)),
            D("Saucisse purée", 1250, 10, S.GRILL, (A.MILK, A.SULPHITES)),
            D("Hachis parmentier", 1300, 12, S.OVEN, (A.MILK, A.CELERY)),
            D("Île flottante", 550, 3, S.PASTRY, (A.EGGS, A.MILK)),
            D("Riz au lait", 500, 2, S.PASTRY, (A.MILK,)),
        ),
    ),
    DemoRestaurant(
        slug="petit-timbaud",
        name="Le Petit Timbaud",
        cuisine="lebanese",
        street="Rue Jean-Pierre Timbaud",
        address="Rue Jean-Pierre Timbaud, 75011 Paris",
        lat=48.868659,
        lon=2.379995,
        default_prep_minutes=12,
        hours=every_day(("12:00", "23:00"), closed=(0,)),
        dishes=(
            D("Houmous", 650, 3, S.COLD, (A.SESAME,)),
            D("Moutabal", 700, 3, S.COLD, (A.SESAME,)),
            D("Taboulé", 650, 4, S.COLD, (A.GLUTEN,)),
            D("Falafels (6)", 800, 8, S.FRYER, (A.SESAME,), freshness_minutes=15),
            D(
                "Chich taouk",
                1550,
                14,
                S.GRILL,
                (A.MILK,),
                "Marinated chicken skewers, garlic cream",
            ),
            D("Kafta grillée", 1500, 14, S.GRILL, ()),
            D("Manakish zaatar", 800, 9, S.OVEN, (A.GLUTEN, A.SESAME)),
            D("Fatayer épinards", 750, 9, S.OVEN, (A.GLUTEN,)),
            D("Baklava (4)", 600, 1, S.PASTRY, (A.GLUTEN, A.NUTS, A.MILK)),
        ),
    ),
    DemoRestaurant(
        slug="pho-turenne",
        name="Phở Turenne",
        cuisine="vietnamese",
        street="Rue de Turenne",
        address="Rue de Turenne, 75003 Paris",
        lat=48.862319,
        lon=2.364499,
        default_prep_minutes=10,
        hours=LUNCH_DINNER,
        dishes=(
            D(
                "Phở bò",
                1350,
                8,
                S.STOVE,
                (A.SOY, A.CELERY),
                "Beef noodle soup",
                freshness_minutes=20,
            ),
            D("Bún chả", 1400, 12, S.GRILL, (A.FISH, A.PEANUTS, A.SOY)),
            D("Bò bún", 1350, 10, S.GRILL, (A.PEANUTS, A.FISH, A.SOY)),
            D("Nems (4)", 750, 8, S.FRYER, (A.GLUTEN, A.EGGS, A.SOY), freshness_minutes=15),
            D("Rouleaux de printemps (2)", 700, 5, S.COLD, (A.CRUSTACEANS, A.PEANUTS)),
            D("Bánh mì porc laqué", 950, 6, S.COLD, (A.GLUTEN, A.SOY, A.SESAME)),
            D("Riz sauté aux crevettes", 1250, 9, S.STOVE, (A.CRUSTACEANS, A.EGGS, A.SOY)),
            D("Perles de coco", 500, 2, S.PASTRY, ()),
        ),
    ),
    DemoRestaurant(
        slug="trattoria-saint-maur",
        name="Trattoria Saint-Maur",
        cuisine="italian",
        street="Rue Saint-Maur",
        address="Rue Saint-Maur, 75011 Paris",
        lat=48.868771,
        lon=2.374588,
        default_prep_minutes=14,
        hours=every_day(("12:00", "14:30"), ("19:00", "23:30")),
        dishes=(
            D("Pizza margherita", 1100, 10, S.OVEN, (A.GLUTEN, A.MILK), freshness_minutes=15),
            D("Pizza quattro formaggi", 1450, 10, S.OVEN, (A.GLUTEN, A.MILK), freshness_minutes=15),
            D("Pizza diavola", 1350, 10, S.OVEN, (A.GLUTEN, A.MILK), freshness_minutes=15),
            D("Spaghetti alle vongole", 1650, 12, S.STOVE, (A.GLUTEN, A.MOLLUSCS, A.SULPHITES)),
            D("Rigatoni all'amatriciana", 1450, 12, S.STOVE, (A.GLUTEN, A.MILK)),
            D("Lasagne al forno", 1500, 8, S.OVEN, (A.GLUTEN, A.MILK, A.EGGS, A.CELERY)),
            D("Burrata e pomodori", 1200, 4, S.COLD, (A.MILK,)),
            D("Vitello tonnato", 1400, 5, S.COLD, (A.FISH, A.EGGS, A.MUSTARD)),
            D("Tiramisù", 750, 2, S.PASTRY, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Panna cotta", 650, 2, S.PASTRY, (A.MILK,)),
        ),
    ),
    DemoRestaurant(
        slug="le-gravillon",
        name="Le Gravillon",
        cuisine="vegetarian",
        street="Rue des Gravilliers",
        address="Rue des Gravilliers, 75003 Paris",
        lat=48.864534,
        lon=2.354281,
        default_prep_minutes=12,
        hours=every_day(("11:30", "15:00"), ("18:30", "22:30"), closed=(6,)),
        dishes=(
            D("Velouté de potimarron", 750, 5, S.STOVE, (A.MILK, A.CELERY)),
            D("Buddha bowl", 1350, 8, S.COLD, (A.SESAME, A.SOY)),
            D("Dahl de lentilles corail", 1250, 6, S.STOVE, (A.MUSTARD,)),
            D("Curry de légumes, riz basmati", 1300, 8, S.STOVE, (A.NUTS,)),
            D("Burger végétal", 1450, 12, S.GRILL, (A.GLUTEN, A.SOY, A.SESAME, A.MUSTARD)),
            D("Quiche poireaux chèvre", 1100, 6, S.OVEN, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Salade de quinoa", 1150, 5, S.COLD, (A.NUTS,)),
            D("Crumble pommes", 650, 4, S.PASTRY, (A.GLUTEN, A.MILK)),
            D("Carrot cake", 600, 1, S.PASTRY, (A.GLUTEN, A.EGGS, A.NUTS, A.MILK)),
        ),
    ),
    DemoRestaurant(
        slug="tartes-mericourt",
        name="Les Tartes de Méricourt",
        cuisine="bakery",
        street="Rue de la Folie-Méricourt",
        address="Rue de la Folie-Méricourt, 75011 Paris",
        lat=48.866438,
        lon=2.369866,
        default_prep_minutes=6,
        hours=every_day(("11:00", "20:00")),
        auto_accept=True,
        dishes=(
            D("Quiche lorraine", 850, 6, S.OVEN, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Tarte tomate moutarde", 800, 6, S.OVEN, (A.GLUTEN, A.MUSTARD, A.MILK)),
            D("Feuilleté saucisse", 600, 6, S.OVEN, (A.GLUTEN, A.MILK)),
            D("Tarte au citron meringuée", 550, 1, S.PASTRY, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Tarte Tatin", 600, 4, S.PASTRY, (A.GLUTEN, A.MILK), daily_portions=12),
            D("Flan pâtissier", 450, 1, S.PASTRY, (A.GLUTEN, A.EGGS, A.MILK)),
            D("Paris-brest", 650, 1, S.PASTRY, (A.GLUTEN, A.EGGS, A.MILK, A.NUTS)),
        ),
    ),
    DemoRestaurant(
        slug="rotisserie-amelot",
        name="Rôtisserie Amelot",
        cuisine="rotisserie",
        street="Rue Amelot",
        address="Rue Amelot, 75011 Paris",
        lat=48.863025,
        lon=2.367211,
        default_prep_minutes=10,
        hours=every_day(("11:30", "22:00")),
        dishes=(
            D("Demi-poulet rôti", 1450, 6, S.GRILL, (), "Free-range, with its jus"),
            D("Poulet entier rôti", 2500, 6, S.GRILL, (), daily_portions=15),
            D("Pommes grenaille au jus", 550, 4, S.OVEN, ()),
            D("Gratin dauphinois", 650, 5, S.OVEN, (A.MILK,)),
            D("Haricots verts au beurre", 550, 5, S.STOVE, (A.MILK,)),
            D("Sauce au poivre", 150, 1, S.STOVE, (A.MILK, A.SULPHITES)),
        ),
    ),
    DemoRestaurant(
        slug="zinc-de-malte",
        name="Le Zinc de Malte",
        cuisine="wine bar",
        street="Rue de Malte",
        address="Rue de Malte, 75011 Paris",
        lat=48.865765,
        lon=2.367727,
        default_prep_minutes=8,
        hours=every_day(("17:00", "23:30"), closed=(0, 6)),
        dishes=(
            D("Planche de charcuterie", 1600, 6, S.COLD, (A.SULPHITES,)),
            D("Planche de fromages", 1600, 6, S.COLD, (A.MILK,)),
            D("Planche mixte", 1900, 7, S.COLD, (A.MILK, A.SULPHITES)),
            D("Rillettes de thon", 750, 3, S.COLD, (A.FISH, A.GLUTEN)),
            D(
                "Croquettes de jambon",
                850,
                8,
                S.FRYER,
                (A.GLUTEN, A.MILK, A.EGGS),
                freshness_minutes=15,
            ),
            D("Burrata fumée", 1100, 4, S.COLD, (A.MILK,)),
            D("Saucisson sec", 800, 2, S.COLD, (A.SULPHITES, A.MILK)),
        ),
    ),
)

RELAY_POINTS: Final[tuple[DemoRelayPoint, ...]] = (
    DemoRelayPoint(
        slug="tabac-du-temple",
        name="Tabac du Temple",
        kind=RelayKind.TOBACCONIST,
        street="Rue du Temple",
        address="Rue du Temple, 75003 Paris",
        lat=48.862142,
        lon=2.357181,
        opens=time(7),
        closes=time(20, 30),
    ),
    DemoRelayPoint(
        slug="tabac-voltaire",
        name="Le Voltaire",
        kind=RelayKind.TOBACCONIST,
        street="Boulevard Voltaire",
        address="Boulevard Voltaire, 75011 Paris",
        lat=48.862782,
        lon=2.371895,
        opens=time(6, 30),
        closes=time(22),
    ),
    DemoRelayPoint(
        slug="balto-faubourg",
        name="Le Balto du Faubourg",
        kind=RelayKind.TOBACCONIST,
        street="Rue du Faubourg du Temple",
        address="Rue du Faubourg du Temple, 75010 Paris",
        lat=48.869582,
        lon=2.369703,
        opens=time(7),
        closes=time(23),
    ),
)

LUNCH = (time(11), time(15))
DINNER = (time(18), time(23, 30))
ALL_SHIFT = (time(11), time(23, 30))

COURIERS: Final[tuple[DemoCourier, ...]] = (
    DemoCourier(1, "Amina", Vehicle.BIKE, 4, ALL_SHIFT),
    DemoCourier(2, "Bastien", Vehicle.EBIKE, 6, ALL_SHIFT),
    DemoCourier(3, "Chloé", Vehicle.BIKE, 4, LUNCH),
    DemoCourier(4, "Diego", Vehicle.SCOOTER, 8, DINNER),
    DemoCourier(5, "Élodie", Vehicle.EBIKE, 6, DINNER),
    DemoCourier(6, "Farid", Vehicle.BIKE, 4, ALL_SHIFT),
    DemoCourier(7, "Gaëlle", Vehicle.EBIKE, 6, LUNCH),
    DemoCourier(8, "Hugo", Vehicle.SCOOTER, 8, ALL_SHIFT),
    DemoCourier(9, "Inès", Vehicle.BIKE, 4, DINNER),
    DemoCourier(10, "Jules", Vehicle.EBIKE, 6, DINNER),
    DemoCourier(11, "Kenza", Vehicle.BIKE, 4, LUNCH),
    DemoCourier(12, "Léo", Vehicle.SCOOTER, 8, DINNER),
)

CUSTOMER_NAME: Final = "Camille Martin"
CUSTOMER_HOME: Final = {
    "label": "Home",
    "address": "Rue Charlot, 75003 Paris",
    "house_number": "12",
    "floor": "3",
    "door_code": "4521B",
    "instructions": "Courtyard, then the second door on the left",
    # In the range France keeps for fiction (01 99 00 xx xx): nobody's real number.
    "phone": "+33199001234",
    "lat": 48.863202,
    "lon": 2.362940,
}
OPERATOR_NAME: Final = "Alliance operator"


def kitchen_email(slug: str) -> str:
    return f"kitchen-{slug}@{DEMO_DOMAIN}"


def relay_email(slug: str) -> str:
    return f"relay-{slug}@{DEMO_DOMAIN}"


def courier_email(number: int) -> str:
    return f"courier-{number}@{DEMO_DOMAIN}"


CUSTOMER_EMAIL: Final = f"customer@{DEMO_DOMAIN}"
OPERATOR_EMAIL: Final = f"operator@{DEMO_DOMAIN}"
