"""What it takes to reach the door: the number, the floor, the code, a note and a phone.

Stated once and read by the quote's destination, the order, the saved address and the
courier's stop, so what the customer typed is what the courier reads.
"""

import re
from typing import Annotated, Final

import phonenumbers
from pydantic import AfterValidator, BaseModel, Field

PHONE_REGION: Final = "FR"
"""Numbers typed without a country code are read as French ones (06 12 34 56 78)."""
_HOUSE_NUMBER = re.compile(r"^\d{1,4}(?: ?(?:bis|ter|quater|[a-z]))?$", re.IGNORECASE)


def _house_number(value: str) -> str:
    value = " ".join(value.split())
    if value and not _HOUSE_NUMBER.match(value):
        raise ValueError("a house number such as 12, 12 bis or 12B")
    return value


def _phone(value: str) -> str:
    """The number in international form (+33612345678), or a refusal that says why."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number (06 12 34 56 78, or +44 … from abroad)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str) -> str:
    """A stored number as people read it: +33 6 12 34 56 78."""
    if not value:
        return ""
    return phonenumbers.format_number(
        phonenumbers.parse(value, PHONE_REGION), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


HouseNumber = Annotated[str, Field(max_length=12), AfterValidator(_house_number)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(_phone)]


class DoorDetails(BaseModel):
    """Beside the street: how the courier finds and opens the customer's door."""

    house_number: HouseNumber = ""
    floor: Annotated[str, Field(max_length=20)] = ""
    door_code: Annotated[str, Field(max_length=20)] = ""
    notes: Annotated[str, Field(max_length=200)] = Field(
        default="", description="Entry notes: the courtyard, the bell's name, leave with…"
    )
    phone: Phone = Field(default="", description="Reached by the courier while the order is out")


def street_line(house_number: str, street: str) -> str:
    """'12 Rue Oberkampf': the number first, as French addresses are written."""
    if house_number and not street.startswith(house_number):
        return f"{house_number} {street}".strip()
    return street


def door_line(floor: str, door_code: str) -> str:
    """'floor 3, code 4521B', the parts that are known."""
    parts = [f"floor {floor}" if floor else "", f"code {door_code}" if door_code else ""]
    return ", ".join(part for part in parts if part)
