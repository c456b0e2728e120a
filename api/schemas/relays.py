"""A relay shop's parcels, as its counter sees them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.models import OrderStatus


class CodeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)] = (
        Field(description="The code the customer shows, typed by the shop")
    )


class ParcelPublic(BaseModel):
    order_id: int
    status: OrderStatus
    customer_name: str = Field(description="Whom to hand it to, with the code")
    bags: int = Field(description="Bags to expect: one per kitchen of the order")
    expected_at: datetime
    courier_name: str | None = Field(description="Who brings it, while on the way")
    courier_arrived: bool = Field(description="The courier says it is at the counter")
    received_at: datetime | None
    collected_at: datetime | None
    code_tries_left: int
