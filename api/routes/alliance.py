"""The operator managing the alliance: restaurants, hours, menus (CSV too), people, couriers."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from api.deps import ClockDep, CurrentOperator, GeographyDep, ReadSessionDep, SessionDep
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
from api.models import AuditAction, Restaurant, Role, RosterShift
from api.schemas.alliance import (
    CourierEdit,
    DishAdmin,
    DishCreate,
    DishEdit,
    ExceptionCreate,
    Invite,
    MenuImported,
    PasswordLink,
    PersonPublic,
    RestaurantAdmin,
    RestaurantCreate,
    RestaurantEdit,
    RosterPeriod,
    RosterWeek,
    WeeklyHours,
)
from api.schemas.common import IdPath
from api.schemas.ops import StepReason
from api.services import alliance as service
from api.services import kitchen, people, roster
from api.services.stepping_in import audit

router = APIRouter(prefix="/ops", tags=["alliance"], responses=ROLE_ERRORS)
EDIT_ERRORS = error_responses(NotFound, Conflict, InvalidInput)
CSV_BODY = {
    "requestBody": {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "required": True,
    }
}


async def csv_text(request: Request) -> str:
    """The request's CSV body, as UTF-8 text (a spreadsheet's BOM is dropped)."""
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([{"field": "body", "reason": "send the CSV in UTF-8"}]) from None


@router.get("/restaurants")
def list_restaurants(operator: CurrentOperator, session: ReadSessionDep) -> list[RestaurantAdmin]:
    """Every restaurant of the alliance, active or not, with its hours."""
    rows = session.exec(select(Restaurant).order_by(col(Restaurant.name))).all()
    found = [service.restaurant_admin(session, r) for r in rows]
    session.commit()
    return found


@router.post("/restaurants", status_code=status.HTTP_201_CREATED, responses=EDIT_ERRORS)
def create_restaurant(
    form: RestaurantCreate,
    operator: CurrentOperator,
    session: SessionDep,
    geography: GeographyDep,
    clock: ClockDep,
) -> RestaurantAdmin:
    """Add a restaurant; its place must be near a street of the service area."""
    created = service.create_restaurant(session, geography, form)
    assert created.id is not None
    reason = f"new restaurant {form.name}"
    audit(
        session,
        operator,
        AuditAction.CREATE_RESTAURANT,
        ("restaurant", created.id),
        reason,
        clock.now(),
    )
    result = service.restaurant_admin(session, created)
    session.commit()
    return result


@router.get("/restaurants/{restaurant_id}", responses=error_responses(NotFound))
def get_restaurant(
    restaurant_id: IdPath, operator: CurrentOperator, session: ReadSessionDep
) -> RestaurantAdmin:
    """One restaurant with its hours and exceptions."""
    found = service.restaurant_admin(session, service.restaurant(session, restaurant_id))
    session.commit()
    return found


@router.patch("/restaurants/{restaurant_id}", responses=EDIT_ERRORS)
def edit_restaurant(
    restaurant_id: IdPath,
    changes: RestaurantEdit,
    operator: CurrentOperator,
    session: SessionDep,
    geography: GeographyDep,
    clock: ClockDep,
) -> RestaurantAdmin:
    """Change a restaurant's details, or deactivate it (active: false)."""
    found = service.edit_restaurant(session, geography, restaurant_id, changes)
    sent = changes.model_dump(exclude_unset=True, mode="json")
    audit(
        session,
        operator,
        AuditAction.EDIT_RESTAURANT,
        ("restaurant", restaurant_id),
        "edit",
        clock.now(),
        **sent,
    )
    result = service.restaurant_admin(session, found)
    session.commit()
    return result


@router.put("/restaurants/{restaurant_id}/hours", responses=EDIT_ERRORS)
def set_hours(
    restaurant_id: IdPath,
    week: WeeklyHours,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> RestaurantAdmin:
    """Replace the week's opening hours (a weekday with no period is closed)."""
    service.set_hours(session, restaurant_id, week)
    audit(
        session,
        operator,
        AuditAction.SET_HOURS,
        ("restaurant", restaurant_id),
        "hours",
        clock.now(),
    )
    result = service.restaurant_admin(session, service.restaurant(session, restaurant_id))
    session.commit()
    return result


@router.post("/restaurants/{restaurant_id}/exceptions", responses=EDIT_ERRORS)
def add_exception(
    restaurant_id: IdPath,
    form: ExceptionCreate,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> RestaurantAdmin:
    """A date with other hours, or closed all day."""
    service.add_exception(session, restaurant_id, form)
    audit(
        session,
        operator,
        AuditAction.SET_HOURS,
        ("restaurant", restaurant_id),
        form.note or "exception",
        clock.now(),
        day=form.day.isoformat(),
    )
    result = service.restaurant_admin(session, service.restaurant(session, restaurant_id))
    session.commit()
    return result


@router.delete(
    "/restaurants/{restaurant_id}/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def remove_exception(
    restaurant_id: IdPath,
    exception_id: IdPath,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Remove an exception: the date follows the week's hours again."""
    service.remove_exception(session, restaurant_id, exception_id)
    audit(
        session,
        operator,
        AuditAction.SET_HOURS,
        ("restaurant", restaurant_id),
        "exception removed",
        clock.now(),
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/restaurants/{restaurant_id}/dishes", responses=error_responses(NotFound))
def list_dishes(
    restaurant_id: IdPath, operator: CurrentOperator, session: ReadSessionDep
) -> list[DishAdmin]:
    """A restaurant's dishes, all of them."""
    service.restaurant(session, restaurant_id)
    found = [service.dish_admin(d) for d in service.dishes_of(session, restaurant_id)]
    session.commit()
    return found


@router.post(
    "/restaurants/{restaurant_id}/dishes",
    status_code=status.HTTP_201_CREATED,
    responses=EDIT_ERRORS,
)
def create_dish(
    restaurant_id: IdPath,
    form: DishCreate,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> DishAdmin:
    """Add a dish to a restaurant's menu."""
    dish = service.create_dish(session, restaurant_id, form)
    audit(
        session, operator, AuditAction.CREATE_DISH, ("dish", dish.id or 0), form.name, clock.now()
    )
    result = service.dish_admin(dish)
    session.commit()
    return result


@router.patch("/restaurants/{restaurant_id}/dishes/{dish_id}", responses=EDIT_ERRORS)
def edit_dish(
    restaurant_id: IdPath,
    dish_id: IdPath,
    changes: DishEdit,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> DishAdmin:
    """Change a dish: price, allergens, VAT class, availability, portions, …"""
    dish = kitchen.update_dish(session, restaurant_id, dish_id, changes)
    sent = changes.model_dump(exclude_unset=True, mode="json")
    audit(session, operator, AuditAction.EDIT_DISH, ("dish", dish_id), "edit", clock.now(), **sent)
    result = service.dish_admin(dish)
    session.commit()
    return result


@router.get(
    "/restaurants/{restaurant_id}/menu.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(NotFound)},
)
def export_menu(
    restaurant_id: IdPath, operator: CurrentOperator, session: ReadSessionDep
) -> Response:
    """The menu as CSV (one dish a line), to edit in a spreadsheet and import again."""
    text = service.menu_csv(session, restaurant_id)
    session.commit()
    return Response(text, media_type="text/csv; charset=utf-8")


@router.post("/restaurants/{restaurant_id}/menu.csv", responses=EDIT_ERRORS, openapi_extra=CSV_BODY)
async def import_menu(
    restaurant_id: IdPath,
    request: Request,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> MenuImported:
    """Create or update dishes from CSV (matched by name), all or nothing."""
    text = await csv_text(request)

    def run() -> MenuImported:
        created, updated = service.import_menu(session, restaurant_id, text)
        entry = audit(
            session,
            operator,
            AuditAction.IMPORT_MENU,
            ("restaurant", restaurant_id),
            "menu import",
            clock.now(),
            created=created,
            updated=updated,
        )
        session.commit()
        return MenuImported(created=created, updated=updated, audit_id=entry)

    return await run_in_threadpool(run)


@router.get("/people")
def list_people(
    operator: CurrentOperator,
    session: ReadSessionDep,
    role: Annotated[Role | None, Query()] = None,
) -> list[PersonPublic]:
    """The alliance's staff: kitchens, couriers, operators (customers are not listed)."""
    found = people.people(session, role)
    session.commit()
    return found


@router.post("/people", status_code=status.HTTP_201_CREATED, responses=EDIT_ERRORS)
def invite(
    form: Invite, operator: CurrentOperator, session: SessionDep, clock: ClockDep
) -> PasswordLink:
    """Invite kitchen staff, a courier or an operator: a one-time link to set a password."""
    user, token, expires = people.invite(session, form, clock.now())
    assert user.id is not None
    audit(
        session,
        operator,
        AuditAction.INVITE_USER,
        ("user", user.id),
        f"invited as {form.role.value}",
        clock.now(),
    )
    result = PasswordLink(
        user=people.person(session, user), link=f"/welcome?token={token}", expires_at=expires
    )
    session.commit()
    return result


@router.post("/people/{user_id}/deactivate", responses=EDIT_ERRORS)
def deactivate(
    user_id: IdPath,
    body: StepReason,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> PersonPublic:
    """Deactivate an account: its tokens stop working at once."""
    user = people.deactivate(session, user_id, operator.id)
    audit(
        session, operator, AuditAction.DEACTIVATE_USER, ("user", user_id), body.reason, clock.now()
    )
    result = people.person(session, user)
    session.commit()
    return result


@router.post("/people/{user_id}/password-link", responses=EDIT_ERRORS)
def reset_password(
    user_id: IdPath,
    body: StepReason,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> PasswordLink:
    """A new one-time link to set the account's password (earlier links stop working)."""
    user = people.staff(session, user_id)
    token, expires = people.password_link(session, user, clock.now())
    audit(
        session, operator, AuditAction.RESET_PASSWORD, ("user", user_id), body.reason, clock.now()
    )
    result = PasswordLink(
        user=people.person(session, user), link=f"/welcome?token={token}", expires_at=expires
    )
    session.commit()
    return result


@router.patch("/couriers/{courier_id}", responses=EDIT_ERRORS)
def edit_courier(
    courier_id: IdPath,
    changes: CourierEdit,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> PersonPublic:
    """A courier's vehicle and bag capacity."""
    courier = people.edit_courier(session, courier_id, changes)
    sent = changes.model_dump(exclude_unset=True, mode="json")
    audit(
        session,
        operator,
        AuditAction.EDIT_COURIER,
        ("courier", courier_id),
        "edit",
        clock.now(),
        **sent,
    )
    result = people.person(session, people.staff(session, courier.user_id))
    session.commit()
    return result


@router.get("/couriers/{courier_id}/roster", responses=error_responses(NotFound))
def get_roster(
    courier_id: IdPath, operator: CurrentOperator, session: ReadSessionDep
) -> list[RosterPeriod]:
    """A courier's planned week."""
    found = [_period(p) for p in roster.of_courier(session, courier_id)]
    session.commit()
    return found


@router.put("/couriers/{courier_id}/roster", responses=EDIT_ERRORS)
def set_roster(
    courier_id: IdPath,
    week: RosterWeek,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> list[RosterPeriod]:
    """Replace a courier's planned week: the quote counts who is planned at a booked slot,
    and a shift started within a planned one ends with it."""
    roster.set_week(session, courier_id, week.periods)
    audit(
        session, operator, AuditAction.EDIT_COURIER, ("courier", courier_id), "roster", clock.now()
    )
    found = [_period(p) for p in roster.of_courier(session, courier_id)]
    session.commit()
    return found


def _period(row: RosterShift) -> RosterPeriod:
    return RosterPeriod(weekday=row.weekday, starts=row.starts, ends=row.ends)  # type: ignore[arg-type]
