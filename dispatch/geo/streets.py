"""Street-name look-up from the map itself: address autocomplete without a geocoding service."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import numpy as np

from dispatch.geo.network import StreetNetwork

# Common French abbreviations, so "bd voltaire" finds "Boulevard Voltaire".
ABBREVIATIONS: Final = {
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "r": "rue",
    "pl": "place",
    "st": "saint",
    "ste": "sainte",
    "fg": "faubourg",
    "fbg": "faubourg",
    "imp": "impasse",
    "pass": "passage",
    "qu": "quai",
}


def normalise(text: str) -> list[str]:
    """Lower-case words without accents, apostrophes or hyphens."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.split(r"[^a-z0-9]+", plain)
    return [ABBREVIATIONS.get(word, word) for word in words if word]


@dataclass(frozen=True)
class StreetMatch:
    """A named street of the map: a point on it and its segments as (lat, lon) polylines."""

    name: str
    lat: float
    lon: float
    segments: list[list[tuple[float, float]]]


class StreetIndex:
    """Every named street of a network, searchable by words or word beginnings."""

    def __init__(self, network: StreetNetwork) -> None:
        self.network = network
        self._edges: dict[str, list[int]] = {}
        reverse = network.reverse_edge
        for edge, name_id in enumerate(network.name_id.tolist()):
            # One direction of a two-way street is enough to draw and locate it.
            if name_id < 0 or 0 <= reverse[edge] < edge:
                continue
            self._edges.setdefault(str(network.names[name_id]), []).append(edge)
        self._words = {name: normalise(name) for name in self._edges}

    def search(self, query: str, limit: int = 10) -> list[StreetMatch]:
        """Streets whose name holds every word of the query (the last may be a beginning)."""
        words = normalise(query)
        if not words:
            return []
        scored: list[tuple[int, int, int, str]] = []
        for name, name_words in self._words.items():
            if not _matches(words, name_words):
                continue
            # Exact names first, then the fewest extra words, then the longer streets.
            exact = 0 if words == name_words else 1
            scored.append((exact, len(name_words) - len(words), -len(self._edges[name]), name))
        scored.sort()
        return [self._match(entry[-1]) for entry in scored[:limit]]

    def _match(self, name: str) -> StreetMatch:
        segments = [self.network.edge_polyline(edge) for edge in self._edges[name]]
        points = np.array([point for segment in segments for point in segment])
        centre = points.mean(axis=0)
        # The street's own point nearest its centre: a centroid can fall off a curved street.
        nearest = points[np.argmin(((points - centre) ** 2).sum(axis=1))]
        return StreetMatch(
            name=name, lat=float(nearest[0]), lon=float(nearest[1]), segments=segments
        )


def _matches(query: list[str], name: list[str]) -> bool:
    *whole, last = query
    return all(word in name for word in whole) and any(part.startswith(last) for part in name)
