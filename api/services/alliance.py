"""Managing the alliance: restaurants with their hours, and their menus (also as CSV)."""

import csv
import io
from datetime import time
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from api.db import for_update
from api.errors import Conflict, InvalidInput, NotFound
from api.models import Allergen, Dish, OpeningException, OpeningHours, Restaurant
from api.schemas.alliance import (
    DishAdmin,
    DishCreate,
    DishEdit,
    ExceptionCreate,
    ExceptionPublic,
    RestaurantAdmin,
    RestaurantCreate,
    RestaurantEdit,
    WeeklyHours,
    WeeklyPeriod,
)
from api.services.geo import locate
from api.services.ops_board import touch
from dispatch.geo.geography import Geography

MENU_COLUMNS = (
    "name",
    "description",
    "price_cents",
    "prep_minutes",
    "allergens",
    "station",
    "freshness_minutes",
    "vat_class",
    "available",
    "daily_portions",
)
"""A menu as CSV: one dish a line, allergens separated by ";", matched on import by name."""
MAX_MENU_LINES = 500


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def restaurant_admin(session: Session, restaurant: Restaurant) -> RestaurantAdmin:
    assert restaurant.id is not None
    hours = session.exec(
        select(OpeningHours)
        .where(OpeningHours.restaurant_id == restaurant.id)
        .order_by(col(OpeningHours.weekday), col(OpeningHours.opens))
    ).all()
    exceptions = session.exec(
        select(OpeningException)
        .where(OpeningException.restaurant_id == restaurant.id)
        .order_by(col(OpeningException.day), col(OpeningException.opens))
    ).all()
    return RestaurantAdmin(
        **restaurant.model_dump(
            include={
                "id",
                "slug",
                "name",
                "cuisine",
                "description",
                "address",
                "lat",
                "lon",
                "default_prep_minutes",
                "busy_extra_minutes",
                "orders_per_quarter",
                "commission_bp",
                "commission_fixed_cents",
                "paused",
                "auto_accept",
                "active",
                "phone",
                "email",
                "legal_name",
                "siret",
                "vat_number",
            }
        ),
        hours=[
            WeeklyPeriod(weekday=h.weekday, opens=h.opens, closes=h.closes)  # type: ignore[arg-type]
            for h in hours
        ],
        exceptions=[
            ExceptionPublic(
                id=e.id or 0,
                day=e.day,
                opens=e.opens,  # type: ignore[arg-type]
                closes=e.closes,  # type: ignore[arg-type]
                note=e.note,
            )
            for e in exceptions
        ],
    )


def restaurant(session: Session, restaurant_id: int) -> Restaurant:
    found = session.get(Restaurant, restaurant_id)
    if found is None:
        raise NotFound(f"no restaurant {restaurant_id}")
    return found


def lock_restaurant(session: Session, restaurant_id: int) -> Restaurant:
    """The restaurant's row, locked: changes to its hours or menu that replace several rows
    queue up behind each other instead of both writing (PostgreSQL)."""
    found = session.exec(
        for_update(select(Restaurant).where(Restaurant.id == restaurant_id))
    ).one_or_none()
    if found is None:
        raise NotFound(f"no restaurant {restaurant_id}")
    return found


def create_restaurant(session: Session, geography: Geography, form: RestaurantCreate) -> Restaurant:
    """A new restaurant, its place checked against the streets; a slug in use answers 409."""
    locate(geography, form.lat, form.lon, field="lat")
    if session.exec(select(Restaurant.id).where(Restaurant.slug == form.slug)).first():
        raise Conflict({"reason": f"the slug {form.slug} is taken", "current_status": "taken"})
    created = Restaurant(
        **form.model_dump(exclude={"email", "cuisine"}),
        cuisine=form.cuisine.strip().lower(),
        email=form.email or "",
    )
    session.add(created)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the same slug, created at the same moment
        raise Conflict(
            {"reason": f"the slug {form.slug} is taken", "current_status": "taken"}
        ) from None
    assert created.id is not None
    touch(session, kitchens=[created.id])
    return created


def edit_restaurant(
    session: Session, geography: Geography, restaurant_id: int, changes: RestaurantEdit
) -> Restaurant:
    found = restaurant(session, restaurant_id)
    sent = changes.model_dump(exclude_unset=True)
    if sent.get("lat") is not None:
        locate(geography, sent["lat"], sent["lon"], field="lat")
    for field, value in sent.items():
        if field == "email":
            value = value or ""  # null clears it
        elif value is None:
            continue
        elif field == "cuisine":
            value = value.strip().lower()
        setattr(found, field, value)
    session.add(found)
    touch(session, kitchens=[restaurant_id])
    return found


def set_hours(session: Session, restaurant_id: int, week: WeeklyHours) -> None:
    """Replace the week's hours; periods of one weekday must not overlap."""
    lock_restaurant(session, restaurant_id)
    problems = []
    by_day: dict[int, list[tuple[time, time]]] = {}
    for i, period in enumerate(week.periods):
        opens, closes = _clock(period.opens), _clock(period.closes)
        if closes <= opens:
            problems.append({"field": f"periods.{i}.closes", "reason": "must be after opens"})
        for other in by_day.get(period.weekday, []):
            if opens < other[1] and other[0] < closes:
                problems.append({"field": f"periods.{i}", "reason": "overlaps another period"})
        by_day.setdefault(period.weekday, []).append((opens, closes))
    if problems:
        raise InvalidInput(problems)
    session.execute(sa.delete(OpeningHours).where(col(OpeningHours.restaurant_id) == restaurant_id))
    for period in week.periods:
        session.add(
            OpeningHours(
                restaurant_id=restaurant_id,
                weekday=period.weekday,
                opens=_clock(period.opens),
                closes=_clock(period.closes),
            )
        )
    session.flush()


def add_exception(session: Session, restaurant_id: int, form: ExceptionCreate) -> int:
    lock_restaurant(session, restaurant_id)
    if (form.opens is None) != (form.closes is None):
        raise InvalidInput([{"field": "closes", "reason": "send opens and closes, or neither"}])
    opens = _clock(form.opens) if form.opens else None
    closes = _clock(form.closes) if form.closes else None
    if opens is not None and closes is not None and closes <= opens:
        raise InvalidInput([{"field": "closes", "reason": "must be after opens"}])
    same = session.exec(
        select(OpeningException.id).where(
            OpeningException.restaurant_id == restaurant_id,
            OpeningException.day == form.day,
            OpeningException.opens == opens
            if opens is not None
            else col(OpeningException.opens).is_(None),
        )
    ).first()
    if same is not None:
        raise Conflict({"reason": "this exception is there already", "current_status": "exists"})
    row = OpeningException(
        restaurant_id=restaurant_id, day=form.day, opens=opens, closes=closes, note=form.note
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def remove_exception(session: Session, restaurant_id: int, exception_id: int) -> None:
    row = session.get(OpeningException, exception_id)
    if row is None or row.restaurant_id != restaurant_id:
        raise NotFound(f"no exception {exception_id}")
    session.delete(row)
    session.flush()


# -- Dishes ---------------------------------------------------------------------------------


def dish_admin(dish: Dish) -> DishAdmin:
    return DishAdmin.model_validate(dish, from_attributes=True)


def dishes_of(session: Session, restaurant_id: int) -> list[Dish]:
    return list(
        session.exec(
            select(Dish).where(Dish.restaurant_id == restaurant_id).order_by(col(Dish.id))
        ).all()
    )


def create_dish(session: Session, restaurant_id: int, form: DishCreate) -> Dish:
    restaurant(session, restaurant_id)
    dish = Dish(
        restaurant_id=restaurant_id,
        **form.model_dump(exclude={"allergens"}),
        allergens=[a.value for a in form.allergens],
        portions_left=form.daily_portions,
    )
    session.add(dish)
    session.flush()
    touch(session, kitchens=[restaurant_id])
    return dish


def edit_dish(session: Session, restaurant_id: int, dish_id: int, changes: DishEdit) -> Dish:
    """Change the fields sent; a dish of another restaurant answers 404."""
    dish = session.get(Dish, dish_id)
    if dish is None or dish.restaurant_id != restaurant_id:
        raise NotFound(f"no dish {dish_id}")
    sent: dict[str, Any] = changes.model_dump(exclude_unset=True)
    for field, value in sent.items():
        if value is None and field not in ("portions_left", "daily_portions"):
            continue
        if field == "allergens":
            value = [a.value if isinstance(a, Allergen) else a for a in value]
        setattr(dish, field, value)
    session.add(dish)
    session.flush()
    return dish


def menu_csv(session: Session, restaurant_id: int) -> str:
    restaurant(session, restaurant_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MENU_COLUMNS)
    for dish in dishes_of(session, restaurant_id):
        writer.writerow(
            [
                dish.name,
                dish.description,
                dish.price_cents,
                dish.prep_minutes,
                ";".join(dish.allergens),
                dish.station.value,
                dish.freshness_minutes,
                dish.vat_class.value,
                "yes" if dish.available else "no",
                "" if dish.daily_portions is None else dish.daily_portions,
            ]
        )
    return out.getvalue()


def _csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c
        for c in ("name", "price_cents", "prep_minutes", "station")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise InvalidInput(
            [{"field": "header", "reason": f"missing columns: {', '.join(missing)}"}]
        )
    unknown = [c for c in reader.fieldnames or [] if c not in MENU_COLUMNS]
    if unknown:
        raise InvalidInput(
            [{"field": "header", "reason": f"unknown columns: {', '.join(unknown)}"}]
        )
    rows = list(reader)
    if len(rows) > MAX_MENU_LINES:
        raise InvalidInput([{"field": "rows", "reason": f"at most {MAX_MENU_LINES} dishes"}])
    return rows


def _dish_from(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "")}
    if "allergens" in values:
        values["allergens"] = [a.strip() for a in values["allergens"].split(";") if a.strip()]
    if "available" in values:
        values["available"] = values["available"].strip().lower() in ("yes", "true", "1")
    return values


def import_menu(session: Session, restaurant_id: int, text: str) -> tuple[int, int]:
    """Create or update dishes (matched by name) from CSV, all or nothing: every problem is
    reported with its line ("rows.3.price_cents"). Returns (created, updated)."""
    lock_restaurant(session, restaurant_id)
    rows = _csv_rows(text)
    forms: list[DishCreate] = []
    problems = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        try:
            form = DishCreate.model_validate(_dish_from(row))
        except ValidationError as error:
            problems += [
                {
                    "field": f"rows.{number}." + ".".join(str(p) for p in e["loc"]),
                    "reason": e["msg"],
                }
                for e in error.errors()
            ]
            continue
        if form.name.lower() in seen:
            problems.append({"field": f"rows.{number}.name", "reason": "named twice"})
        seen.add(form.name.lower())
        forms.append(form)
    if problems:
        raise InvalidInput(problems)
    existing = {d.name.lower(): d for d in dishes_of(session, restaurant_id)}
    created = updated = 0
    for form in forms:
        dish = existing.get(form.name.lower())
        if dish is None:
            create_dish(session, restaurant_id, form)
            created += 1
        else:
            edit_dish(session, restaurant_id, dish.id or 0, DishEdit(**form.model_dump()))
            updated += 1
    return created, updated
