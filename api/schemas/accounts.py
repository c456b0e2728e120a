"""Accounts, tokens and saved addresses."""

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from api.models import Language, Role
from api.schemas.doors import HouseNumber, Phone


@dataclass(frozen=True)
class Account:
    """The signed-in account, as every route sees it (read with one light query)."""

    id: int
    email: str
    name: str
    role: Role
    restaurant_id: int | None
    relay_point_id: int | None = None


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: Annotated[str, Field(min_length=8, max_length=128)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    restaurant_id: int | None
    relay_point_id: int | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105


class AddressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, Field(min_length=1, max_length=60)]
    address: Annotated[str, Field(min_length=1, max_length=200)]
    house_number: HouseNumber = ""
    floor: Annotated[str, Field(max_length=20)] = ""
    door_code: Annotated[str, Field(max_length=20)] = ""
    instructions: Annotated[str, Field(max_length=200)] = Field(
        default="", description="Entry notes: they reach the order as its destination's notes"
    )
    phone: Phone = ""
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class AddressPublic(AddressCreate):
    model_config = ConfigDict(extra="ignore")
    id: int


class Preferences(BaseModel):
    language: Language = Field(description="The language of the customer's mails")
    email_notifications: bool = Field(description="Order mails: confirmed, on its way, …")


class PreferencesEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Language | None = None
    email_notifications: bool | None = None
