"""Doors imported from a national address file (the BAN), beside the map's own."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.models.base import id_field


class HouseNumber(SQLModel, table=True):
    """One door: a number on a street, where it is (``chaud addresses import``)."""

    __tablename__ = "house_numbers"
    __table_args__ = (sa.UniqueConstraint("street_key", "number"),)

    id: int | None = id_field()
    street_key: str = Field(max_length=200, index=True, description="dispatch.geo.doors.street_key")
    street: str = Field(max_length=200, description="As the file writes it")
    number: str = Field(max_length=12, description="12, 12 bis, 24B")
    postcode: str = Field(default="", max_length=10)
    lat: float
    lon: float
