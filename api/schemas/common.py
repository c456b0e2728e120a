"""Types shared by request bodies and parameters."""

from typing import Annotated, Final

from fastapi import Path
from pydantic import Field

MAX_ID: Final = 2**31 - 1
"""Ids are 32-bit integers in both databases: a larger one cannot exist."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

DESTINATION_TAGS: Final = frozenset({"address_destination", "relay_destination"})
"""The kinds of destination, as they appear in an error's location (and are dropped there)."""
