"""Commands from a kitchen screen, each carried by a client id and done at most once."""

from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.db import writer
from api.errors import ChaudError, InvalidInput
from api.schemas.accounts import Account
from api.schemas.alliance import DishEdit
from api.services import idempotency
from api.services.kitchen import TicketAction, act_on_ticket, update_dish

TICKET_ACTIONS = {
    "accept": TicketAction.ACCEPT,
    "start": TicketAction.START,
    "bump": TicketAction.READY,
    "ready": TicketAction.READY,
    "recall": TicketAction.RECALL,
}


class ScreenCommand(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["command"]
    client_id: Annotated[str, Field(min_length=8, max_length=100, pattern=r"^[^\x00]+$")]
    action: Literal["accept", "start", "bump", "ready", "recall", "sold_out"]
    ticket_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    dish_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None


def _perform(session: Session, restaurant_id: int, command: ScreenCommand, now: datetime) -> Any:
    if command.action == "sold_out":
        if command.dish_id is None:
            raise InvalidInput([{"field": "dish_id", "reason": "sold_out needs a dish_id"}])
        dish = update_dish(session, restaurant_id, command.dish_id, DishEdit(available=False))
        return {"dish_id": dish.id, "available": dish.available}
    if command.ticket_id is None:
        raise InvalidInput(
            [{"field": "ticket_id", "reason": f"{command.action} needs a ticket_id"}]
        )
    ticket = act_on_ticket(
        session, restaurant_id, command.ticket_id, TICKET_ACTIONS[command.action], now
    )
    return {"ticket_id": ticket.id, "status": ticket.status.value}


def run_command(
    engine: sa.Engine, account: Account, command: ScreenCommand, now: datetime
) -> dict[str, Any]:
    """Do the command once; a repeated client id gets the stored answer."""
    assert account.restaurant_id is not None
    key = f"kitchen-screen:{command.client_id}"
    fingerprint = idempotency.request_hash(command.model_dump())
    base = {"type": "ack", "client_id": command.client_id}
    with Session(writer(engine), expire_on_commit=False) as session:
        try:
            claimed = idempotency.claim(session, account.id, key, fingerprint, now)
        except ChaudError as error:
            return {
                **base,
                "ok": False,
                "status": error.status_code,
                "error": error.code,
                "detail": error.detail,
            }
        if isinstance(claimed, idempotency.Replay):
            return {**base, **claimed.body, "replayed": True}
        try:
            result = _perform(session, account.restaurant_id, command, now)
            answer = {"ok": True, "status": 200, "result": result}
        except ChaudError as error:
            session.rollback()
            answer = {
                "ok": False,
                "status": error.status_code,
                "error": error.code,
                "detail": error.detail,
            }
        idempotency.complete(session, claimed, int(answer["status"]), answer)
        session.commit()
    return {**base, **answer}
