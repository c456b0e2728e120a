"""Vehicle profiles: which street network a vehicle uses and how fast it goes on it."""

from dataclasses import asdict, dataclass
from typing import Final, Literal

Network = Literal["bike", "drive", "walk"]


@dataclass(frozen=True)
class Profile:
    """How one kind of traveller moves.

    ``speed_kph`` is the average speed on every street for bikes and walkers. For the scooter,
    each street's legal speed (OSM ``maxspeed``, imputed from the street type when missing) is
    capped at ``speed_kph`` and multiplied by ``legal_speed_share``, since traffic lights and
    traffic keep a rider well under the limit in a city centre.
    """

    name: str
    network: Network
    speed_kph: float
    uses_legal_speeds: bool = False
    legal_speed_share: float = 1.0
    access_speed_kph: float = 4.5
    """Speed of the last metres between the street and the door, on foot."""

    def cache_key(self) -> str:
        return repr(sorted(asdict(self).items()))


def make_profiles(
    *,
    bike_kph: float = 15.0,
    ebike_kph: float = 20.0,
    scooter_max_kph: float = 45.0,
    scooter_legal_speed_share: float = 0.6,
    walk_kph: float = 4.5,
) -> dict[str, Profile]:
    """The four profiles, with operator-tunable speeds."""
    return {
        "bike": Profile("bike", "bike", bike_kph, access_speed_kph=walk_kph),
        "ebike": Profile("ebike", "bike", ebike_kph, access_speed_kph=walk_kph),
        "scooter": Profile(
            "scooter",
            "drive",
            scooter_max_kph,
            uses_legal_speeds=True,
            legal_speed_share=scooter_legal_speed_share,
            access_speed_kph=walk_kph,
        ),
        "walk": Profile("walk", "walk", walk_kph, access_speed_kph=walk_kph),
    }


DEFAULT_PROFILES: Final = make_profiles()
