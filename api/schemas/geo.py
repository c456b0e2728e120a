"""What the geocoder answers."""

from pydantic import BaseModel, Field

from dispatch.geo.doors import Precision


class AddressMatch(BaseModel):
    label: str = Field(description="'12 Rue Oberkampf', or the street alone when no number")
    street: str
    house_number: str
    lat: float
    lon: float
    precision: Precision = Field(
        description="exact (a known door), interpolated (between known doors), estimated (by "
        "the Paris numbering rule), street (no number asked)"
    )
