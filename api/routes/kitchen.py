"""A kitchen's tickets and controls; a kitchen sees only its own restaurant."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import (
    ClockDep,
    CurrentKitchen,
    GeographyDep,
    SessionDep,
    SettingsDep,
    kitchen_restaurant_id,
)
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
from api.models import TicketStatus
from api.routes.alliance import CSV_BODY, csv_text
from api.routes.ops import STATEMENT_FILES, From, StatementFormat, To, statement_response
from api.routes.orders import repricer
from api.routes.restaurants import Limit, Offset
from api.schemas.alliance import DishAdmin, DishCreate, DishEdit, MenuImported
from api.schemas.catalogue import DishPublic
from api.schemas.common import IdPath
from api.schemas.kitchen import (
    KitchenRestaurant,
    KitchenTicket,
    RefuseRequest,
    RestaurantSettings,
)
from api.schemas.ops import Statement
from api.services import alliance, reports, statements
from api.services import kitchen as service
from api.services.catalogue import dish_public

router = APIRouter(prefix="/kitchen", tags=["kitchen"], responses=ROLE_ERRORS)
TICKET_ERRORS = error_responses(NotFound, Conflict)


@router.get("/tickets")
def tickets(
    user: CurrentKitchen,
    session: SessionDep,
    status: Annotated[TicketStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[KitchenTicket]:
    """This kitchen's tickets, oldest first, optionally in one state."""
    return service.kitchen_tickets(
        session, kitchen_restaurant_id(user), status=status, limit=limit, offset=offset
    )


def _act(
    session: SessionDep,
    user: CurrentKitchen,
    ticket_id: IdPath,
    action: service.TicketAction,
    now_clock: ClockDep,
    reason: str | None = None,
    reprice: service.Repricer | None = None,
) -> KitchenTicket:
    ticket = service.act_on_ticket(
        session, kitchen_restaurant_id(user), ticket_id, action, now_clock.now(), reason, reprice
    )
    session.commit()
    return service.describe_tickets(session, [ticket])[0]


@router.post("/tickets/{ticket_id}/accept", responses=TICKET_ERRORS)
def accept(
    ticket_id: IdPath, user: CurrentKitchen, session: SessionDep, clock: ClockDep
) -> KitchenTicket:
    """Accept a new ticket."""
    return _act(session, user, ticket_id, service.TicketAction.ACCEPT, clock)


@router.post("/tickets/{ticket_id}/refuse", responses=TICKET_ERRORS)
def refuse(
    ticket_id: IdPath,
    body: RefuseRequest,
    user: CurrentKitchen,
    session: SessionDep,
    clock: ClockDep,
    geography: GeographyDep,
    settings: SettingsDep,
) -> KitchenTicket:
    """Refuse a ticket, saying why; the customer keeps (and pays for) the other kitchens' part."""
    reprice = repricer(geography, settings)
    return _act(session, user, ticket_id, service.TicketAction.REFUSE, clock, body.reason, reprice)


@router.post("/tickets/{ticket_id}/start", responses=TICKET_ERRORS)
def start(
    ticket_id: IdPath, user: CurrentKitchen, session: SessionDep, clock: ClockDep
) -> KitchenTicket:
    """Start cooking a ticket."""
    return _act(session, user, ticket_id, service.TicketAction.START, clock)


@router.post("/tickets/{ticket_id}/ready", responses=TICKET_ERRORS)
def ready(
    ticket_id: IdPath, user: CurrentKitchen, session: SessionDep, clock: ClockDep
) -> KitchenTicket:
    """Mark a ticket ready for the courier (bump)."""
    return _act(session, user, ticket_id, service.TicketAction.READY, clock)


@router.post("/tickets/{ticket_id}/recall", responses=TICKET_ERRORS)
def recall(
    ticket_id: IdPath, user: CurrentKitchen, session: SessionDep, clock: ClockDep
) -> KitchenTicket:
    """Take back a bump: the ticket is cooking again."""
    return _act(session, user, ticket_id, service.TicketAction.RECALL, clock)


@router.get(
    "/statement",
    response_model=Statement,
    responses={
        **error_responses(InvalidInput),
        **STATEMENT_FILES,
    },
)
def statement(
    user: CurrentKitchen,
    session: SessionDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    format: StatementFormat = StatementFormat.JSON,
) -> Any:
    """This kitchen's statement over the period: its orders, gross, VAT, commission, net."""
    bounds = reports.open_bounds(start, end, settings.timezone)
    result = statements.kitchen_statement(
        session, kitchen_restaurant_id(user), (start, end), bounds
    )
    return statement_response(result, format, settings)


@router.get("/restaurant")
def restaurant(user: CurrentKitchen, session: SessionDep) -> KitchenRestaurant:
    """This kitchen's restaurant settings."""
    return service.describe_restaurant(session, kitchen_restaurant_id(user))


@router.patch("/restaurant", responses=error_responses(InvalidInput))
def update_restaurant(
    changes: RestaurantSettings, user: CurrentKitchen, session: SessionDep
) -> KitchenRestaurant:
    """Pause taking orders, add busy minutes to every ticket, or auto-accept tickets."""
    service.update_restaurant(session, kitchen_restaurant_id(user), changes)
    session.commit()
    return service.describe_restaurant(session, kitchen_restaurant_id(user))


@router.patch("/dishes/{dish_id}", responses=error_responses(NotFound, InvalidInput))
def update_dish(
    dish_id: IdPath, changes: DishEdit, user: CurrentKitchen, session: SessionDep
) -> DishPublic:
    """Change one of this kitchen's dishes: price, sold out, portions left, prep time, …"""
    dish = service.update_dish(session, kitchen_restaurant_id(user), dish_id, changes)
    session.commit()
    return dish_public(dish)


@router.get("/dishes")
def list_dishes(user: CurrentKitchen, session: SessionDep) -> list[DishAdmin]:
    """This kitchen's dishes, all of them."""
    found = [
        alliance.dish_admin(d) for d in alliance.dishes_of(session, kitchen_restaurant_id(user))
    ]
    session.commit()
    return found


@router.post("/dishes", status_code=201, responses=error_responses(InvalidInput))
def create_dish(form: DishCreate, user: CurrentKitchen, session: SessionDep) -> DishAdmin:
    """Add a dish to this kitchen's menu."""
    dish = alliance.create_dish(session, kitchen_restaurant_id(user), form)
    result = alliance.dish_admin(dish)
    session.commit()
    return result


@router.get(
    "/menu.csv", response_class=PlainTextResponse, responses={200: {"content": {"text/csv": {}}}}
)
def export_menu(user: CurrentKitchen, session: SessionDep) -> Response:
    """This kitchen's menu as CSV (one dish a line)."""
    text = alliance.menu_csv(session, kitchen_restaurant_id(user))
    session.commit()
    return Response(text, media_type="text/csv; charset=utf-8")


@router.post("/menu.csv", responses=error_responses(InvalidInput), openapi_extra=CSV_BODY)
async def import_menu(request: Request, user: CurrentKitchen, session: SessionDep) -> MenuImported:
    """Create or update this kitchen's dishes from CSV (matched by name), all or nothing."""
    text = await csv_text(request)

    def run() -> MenuImported:
        created, updated = alliance.import_menu(session, kitchen_restaurant_id(user), text)
        session.commit()
        return MenuImported(created=created, updated=updated)

    return await run_in_threadpool(run)
