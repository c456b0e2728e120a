"""People who sign in, and the addresses customers deliver to."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.db_types import enum_type
from api.models.base import created_at_field, id_field, moment_field
from api.models.enums import Language, Role


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("email"),
        # Kitchen staff belong to exactly one restaurant; nobody else belongs to one.
        sa.CheckConstraint(
            "(role = 'kitchen') = (restaurant_id IS NOT NULL)", name="kitchen_has_restaurant"
        ),
        # A relay shop's account belongs to its shop; nobody else's does.
        sa.CheckConstraint(
            "(role = 'relay') = (relay_point_id IS NOT NULL)", name="relay_has_relay_point"
        ),
    )

    id: int | None = id_field()
    email: str = Field(max_length=254, description="Stored lower-case")
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=enum_type(Role))
    restaurant_id: int | None = Field(default=None, foreign_key="restaurants.id", index=True)
    relay_point_id: int | None = Field(default=None, foreign_key="relay_points.id", index=True)
    is_active: bool = True
    language: Language = Field(
        default=Language.FR,
        sa_type=enum_type(Language),
        sa_column_kwargs={"server_default": Language.FR.value},
    )
    email_notifications: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": sa.true()},
        description="The customer's order mails; switched off by the customer",
    )
    created_at: datetime = created_at_field()


class CustomerAddress(SQLModel, table=True):
    __tablename__ = "customer_addresses"

    id: int | None = id_field()
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=60)
    address: str = Field(max_length=200)
    house_number: str = Field(default="", max_length=12, sa_column_kwargs={"server_default": ""})
    floor: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    door_code: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    instructions: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    lat: float
    lon: float
    created_at: datetime = created_at_field()


class PasswordToken(SQLModel, table=True):
    """A one-time link to set a password: an invitation, or a reset by the operator."""

    __tablename__ = "password_tokens"

    id: int | None = id_field()
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, description="SHA-256 of the token")
    expires_at: datetime = moment_field(nullable=False)
    used_at: datetime | None = moment_field()
    created_at: datetime = created_at_field()
