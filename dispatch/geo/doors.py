"""House numbers: where a door is on its street, and how sure we are.

Known doors come from the map (``addr:housenumber`` in the OpenStreetMap extract, read with
pyosmium) and from an imported national address file (the BAN). Between known doors a number is
interpolated along the street; with none, it is placed by the Paris rule: numbers start at the
end of the street nearer the Seine (upstream, to the east, for a street along it), odd numbers on
the left walking up the numbers, about 15 m of frontage per pair of numbers.
"""

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import numpy as np

from dispatch.geo.streets import StreetMatch, normalise

FRONTAGE_M: Final = 15.0
"""Metres of street per pair of numbers (one odd, one even facing it), Paris's usual lot."""
SIDE_M: Final = 6.0
"""From the street's middle to its doors."""
MIN_SPREAD_PAIRS: Final = 4
"""Known doors this many pairs apart at least fit a line along the street; closer ones, no."""
MIN_FRONTAGE_M, MAX_FRONTAGE_M = 5.0, 40.0
ALONG_RIVER: Final = 0.25
"""A street whose ends are nearer the river by less than this share of its length runs along it."""
SEINE: Final = np.array(
    [
        (48.8462, 2.3780),  # pont d'Austerlitz
        (48.8510, 2.3650),  # pont de Sully
        (48.8540, 2.3560),  # pont Louis-Philippe
        (48.8570, 2.3470),  # pont au Change
        (48.8590, 2.3400),  # pont Neuf
        (48.8600, 2.3300),  # pont Royal
        (48.8640, 2.3140),  # pont Alexandre-III
    ]
)
"""The Seine through central Paris, (lat, lon), upstream first: the origin of Paris's numbers."""
_M_PER_DEG_LAT: Final = 111_320.0
_NUMBER = re.compile(r"^(\d{1,4})\s*(bis|ter|quater|[a-z])?$", re.IGNORECASE)


class Precision(StrEnum):
    """How sure the door's position is, best first."""

    EXACT = "exact"
    """A known door: in the map or the imported address file."""
    INTERPOLATED = "interpolated"
    """Between (or beyond) known doors of the same street."""
    ESTIMATED = "estimated"
    """By the Paris numbering rule, with no known door on the street."""
    STREET = "street"
    """No number asked: the street itself."""


@dataclass(frozen=True)
class KnownDoor:
    street: str
    number: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Door:
    street: str
    number: str
    lat: float
    lon: float
    precision: Precision

    @property
    def label(self) -> str:
        return f"{self.number} {self.street}".strip()


def street_key(name: str) -> str:
    """One spelling per street: 'Rue Oberkampf', 'rue oberkampf', 'R. Oberkampf' agree."""
    return " ".join(normalise(name))


def parse_number(text: str) -> tuple[int, str] | None:
    """'12', '12 bis', '24b' as (12, '12 bis'), (24, '24B'); None if not a house number."""
    found = _NUMBER.match(text.strip())
    if found is None:
        return None
    value, suffix = int(found[1]), (found[2] or "").lower()
    if not suffix:
        return value, str(value)
    return value, f"{value} {suffix}" if len(suffix) > 1 else f"{value}{suffix.upper()}"


def split_query(query: str) -> tuple[str | None, str]:
    """'12 bis rue Oberkampf' as ('12 bis', 'rue Oberkampf'); no number: (None, query)."""
    found = re.match(r"^\s*(\d{1,4}(?:\s*(?:bis|ter|quater|[a-z]))?)[\s,]+(.+)$", query, re.I)
    if found is None or parse_number(found[1]) is None:
        return None, query
    return found[1], found[2]


def osm_doors(pbf: Path) -> list[KnownDoor]:
    """Every ``addr:housenumber`` of an OpenStreetMap file with its street: nodes at their
    place, buildings at the mean of their nodes."""
    import osmium  # imported here: only the loading of a map needs it

    doors: list[KnownDoor] = []

    class Reader(osmium.SimpleHandler):
        def node(self, node: osmium.osm.Node) -> None:
            self._keep(node.tags, [(node.location.lat, node.location.lon)])

        def way(self, way: osmium.osm.Way) -> None:
            points = [(n.location.lat, n.location.lon) for n in way.nodes if n.location.valid()]
            self._keep(way.tags, points)

        def _keep(self, tags: osmium.osm.TagList, points: list[tuple[float, float]]) -> None:
            number, street = tags.get("addr:housenumber"), tags.get("addr:street")
            if number and street and points and parse_number(number) is not None:
                lat = sum(p[0] for p in points) / len(points)
                lon = sum(p[1] for p in points) / len(points)
                doors.append(KnownDoor(street, number, lat, lon))

    Reader().apply_file(str(pbf), locations=True)
    return doors


class DoorFinder:
    """Known doors by street; the door of any number on a street of the map."""

    def __init__(self, known: Iterable[KnownDoor] = ()) -> None:
        self._known: dict[str, list[KnownDoor]] = defaultdict(list)
        for door in known:
            self._known[street_key(door.street)].append(door)

    @property
    def known_count(self) -> int:
        return sum(len(doors) for doors in self._known.values())

    def find(self, street: StreetMatch, number: str | None, more: Sequence[KnownDoor] = ()) -> Door:
        """The door of ``number`` on ``street``; ``more``: known doors of it from elsewhere
        (an imported address file), which win over the map's."""
        if number is None or parse_number(number) is None:
            return Door(street.name, "", street.lat, street.lon, Precision.STREET)
        value, label = parse_number(number)  # type: ignore[misc]
        known = [*more, *self._known.get(street_key(street.name), [])]
        for door in known:
            parsed = parse_number(door.number)
            if parsed is not None and parsed[1] == label:
                return Door(street.name, label, door.lat, door.lon, Precision.EXACT)
        axis = _Axis(street)
        anchors: dict[int, float] = {}
        for door in known:
            parsed = parse_number(door.number)
            if parsed is not None:
                anchors.setdefault(parsed[0], axis.along(door.lat, door.lon))
        at, precision = axis.place(value, anchors)
        lat, lon = axis.point(at, left=value % 2 == 1)
        return Door(street.name, label, lat, lon, precision)


def _to_seine_m(point: np.ndarray) -> float:
    """Metres from a (lat, lon) point to the Seine's nearest vertex (enough to tell which end
    of a street is nearer)."""
    scale = np.array([_M_PER_DEG_LAT, _M_PER_DEG_LAT * math.cos(math.radians(float(point[0])))])
    return float(np.min(np.linalg.norm((SEINE - point) * scale, axis=1)))


class _Axis:
    """A street seen as a line: its points ordered along their main direction (in metres),
    oriented so that the numbers go up along it (the Paris rule)."""

    def __init__(self, street: StreetMatch) -> None:
        points = np.array([p for segment in street.segments for p in segment], dtype=float)
        self.origin = points.mean(axis=0)
        self.m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(float(self.origin[0])))
        xy = self._metres(points)
        # The main direction of the street's points (PCA).
        _, _, vt = np.linalg.svd(xy - xy.mean(axis=0), full_matrices=False)
        direction = vt[0]
        # Numbers start at the end nearer the Seine; a street along the river (both ends about
        # as near) starts upstream, at its east end.
        ends = xy @ direction
        first, last = points[np.argmin(ends)], points[np.argmax(ends)]
        nearer = _to_seine_m(first) - _to_seine_m(last)
        along_river = abs(nearer) < ALONG_RIVER * float(np.ptp(ends))
        if (along_river and direction[0] > 0) or (not along_river and nearer > 0):
            direction = -direction  # walk from the east end, or from the end nearer the river
        self.direction = direction
        along = xy @ direction
        order = np.argsort(along)
        self.xy, self.positions = xy[order], along[order]
        self.start = float(self.positions[0])
        self.length = float(self.positions[-1] - self.positions[0])

    def _metres(self, latlon: np.ndarray) -> np.ndarray:
        return np.column_stack(
            (
                (latlon[:, 1] - self.origin[1]) * self.m_per_deg_lon,
                (latlon[:, 0] - self.origin[0]) * _M_PER_DEG_LAT,
            )
        )

    def along(self, lat: float, lon: float) -> float:
        """Metres from the street's first number, of a point projected on the street."""
        return float(self._metres(np.array([[lat, lon]]))[0] @ self.direction) - self.start

    def place(self, number: int, anchors: dict[int, float]) -> tuple[float, Precision]:
        """Metres along the street of ``number``, from known doors when there are some."""
        pair = (number + 1) // 2  # 1 and 2 face each other, then 3 and 4, …
        if anchors:
            pairs = np.array([(n + 1) // 2 for n in anchors], dtype=float)
            metres = np.array(list(anchors.values()))
            if np.ptp(pairs) >= MIN_SPREAD_PAIRS:
                slope, intercept = np.polyfit(pairs, metres, 1)
                if MIN_FRONTAGE_M <= slope <= MAX_FRONTAGE_M:  # the doors agree with a street
                    return self._clamp(slope * pair + intercept), Precision.INTERPOLATED
            # From the known door nearest in number, at the usual frontage.
            nearest = int(np.argmin(np.abs(pairs - pair)))
            guess = metres[nearest] + (pair - pairs[nearest]) * FRONTAGE_M
            return self._clamp(float(guess)), Precision.INTERPOLATED
        return self._clamp((pair - 1) * FRONTAGE_M), Precision.ESTIMATED

    def _clamp(self, metres: float) -> float:
        return min(max(metres, 0.0), self.length)

    def point(self, metres: float, *, left: bool) -> tuple[float, float]:
        """The street's point that far along, moved to its left or right side."""
        target = self.start + metres
        i = int(np.clip(np.searchsorted(self.positions, target), 1, len(self.positions) - 1))
        span = self.positions[i] - self.positions[i - 1]
        t = 0.0 if span <= 0 else (target - self.positions[i - 1]) / span
        x, y = self.xy[i - 1] + t * (self.xy[i] - self.xy[i - 1])
        # Left of the walking direction (dx, dy) is (-dy, dx).
        side = np.array([-self.direction[1], self.direction[0]]) * (SIDE_M if left else -SIDE_M)
        x, y = x + side[0], y + side[1]
        return (
            float(self.origin[0] + y / _M_PER_DEG_LAT),
            float(self.origin[1] + x / self.m_per_deg_lon),
        )
