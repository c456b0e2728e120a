"""The map: street-name autocomplete, location checks, the service zone."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import GeographyDep, SessionDep
from api.errors import InvalidInput, error_responses
from api.schemas.geo import AddressMatch
from api.services import addresses
from api.services import geo as service
from dispatch.geo.drawing import ATTRIBUTION

router = APIRouter(prefix="/geo", tags=["map"])


class StreetPublic(BaseModel):
    name: str
    lat: float
    lon: float


class LocationPublic(BaseModel):
    lat: float
    lon: float
    street: str
    street_lat: float
    street_lon: float
    distance_to_street_m: float


LatLon = Annotated[list[float], Field(min_length=2, max_length=2, description="[lat, lon]")]


class ZonePublic(BaseModel):
    outline: list[LatLon]
    attribution: str


@router.get("/streets")
def search_streets(
    geography: GeographyDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Words of a street name")],
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> list[StreetPublic]:
    """Autocomplete street names of the service area ("oberk" finds rue Oberkampf)."""
    return [
        StreetPublic(name=match.name, lat=match.lat, lon=match.lon)
        for match in geography.streets.search(q, limit)
    ]


@router.get("/addresses")
def search_addresses(
    session: SessionDep,
    geography: GeographyDep,
    q: Annotated[
        str, Query(min_length=1, max_length=120, description="'12 rue Oberkampf', or a street")
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[AddressMatch]:
    """Addresses down to the door, offline: the door's place and how precise it is."""
    return addresses.search(session, geography, q, limit)


@router.get("/locate", responses=error_responses(InvalidInput))
def locate(
    geography: GeographyDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> LocationPublic:
    """Check that a location can be delivered to, and on which street."""
    point = service.locate(geography, lat, lon, field="location")
    return LocationPublic(
        lat=point.lat,
        lon=point.lon,
        street=point.street,
        street_lat=point.street_lat,
        street_lon=point.street_lon,
        distance_to_street_m=round(point.offset_m, 1),
    )


@router.get("/zone")
def zone(geography: GeographyDep) -> ZonePublic:
    """The service zone's outline as (lat, lon) points, with the map data's attribution."""
    outline = [[lat, lon] for lat, lon in geography.snappers["bike"].zone_latlon]
    return ZonePublic(outline=outline, attribution=ATTRIBUTION)


class StreetsMap(BaseModel):
    """A GeoJSON Feature: the service area's streets as one MultiLineString."""

    type: str = "Feature"
    geometry: dict[str, Any]
    properties: dict[str, str]


@router.get("/streets-map")
def streets_map(geography: GeographyDep) -> StreetsMap:
    """The service area's streets as GeoJSON ([lon, lat]), to draw the map with no tiles."""
    return StreetsMap(
        geometry={"type": "MultiLineString", "coordinates": service.street_lines(geography)},
        properties={"attribution": ATTRIBUTION},
    )
