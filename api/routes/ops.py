"""The alliance's operator: the live board, and stepping in on orders, couriers and kitchens."""

import math
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlmodel import col, select

from api.deps import (
    ClockDep,
    CurrentOperator,
    GeographyDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
)
from api.errors import ROLE_ERRORS, Conflict, InvalidInput, NotFound, error_responses
from api.models import AuditAction, AuditEntry, Courier, Order, Restaurant, User
from api.routes.orders import RECEIPT_FORMATS, ReceiptFormat, receipt_response, repricer
from api.schemas.common import IdPath
from api.schemas.couriers import CodeUnlocked, ShiftPublic
from api.schemas.ops import (
    AccountTotalPublic,
    AssignOrder,
    AuditPublic,
    Board,
    CancelByOperator,
    Income,
    KitchenPace,
    MoveStops,
    PoolLoadPublic,
    RefundRequest,
    RefundResult,
    Statement,
    StepReason,
    StepResult,
    TrialBalance,
)
from api.schemas.orders import ReceiptPublic
from api.schemas.reports import Report
from api.services import fec, ledger, ops_board, pacing, receipts, relays, reports, statements
from api.services import stepping_in as service
from api.services.couriers import PayRule
from api.services.hours import local
from api.settings import Settings

router = APIRouter(prefix="/ops", tags=["operator"], responses=ROLE_ERRORS)
STEP_ERRORS = error_responses(NotFound, Conflict, InvalidInput)

From = Annotated[date | None, Query(alias="from", description="First local date")]
To = Annotated[date | None, Query(alias="to", description="Last local date")]
Party = Annotated[
    str,
    Query(
        pattern=r"^(kitchen|courier):[0-9]{1,9}$",
        description="kitchen:{id} or courier:{id}",
    ),
]


def alert_thresholds(settings: Settings) -> ops_board.AlertThresholds:
    return ops_board.AlertThresholds(
        not_accepted=timedelta(minutes=settings.ops_not_accepted_minutes),
        unassigned=timedelta(minutes=settings.ops_unassigned_minutes),
        kitchen_late=timedelta(minutes=settings.ops_kitchen_late_minutes),
        stale_position=timedelta(minutes=settings.ops_stale_position_minutes),
    )


@router.get("/board")
def board(
    operator: CurrentOperator, session: ReadSessionDep, settings: SettingsDep, clock: ClockDep
) -> Board:
    """The whole live board: open orders, couriers on shift, kitchens, relay points."""
    result = ops_board.board(session, alert_thresholds(settings), clock.now())
    session.commit()
    return result


@router.get("/pool")
def pool(operator: CurrentOperator, session: ReadSessionDep, clock: ClockDep) -> PoolLoadPublic:
    """The courier pool's load: open orders, those without a courier, the delay quotes add."""
    load = pacing.courier_pool(session, clock.now())
    session.commit()
    return PoolLoadPublic(
        open_orders=load.open_orders,
        without_courier=load.without_courier,
        delay_minutes=math.ceil(load.delay_s / 60),
    )


@router.post("/orders/{order_id}/assign", responses=STEP_ERRORS)
def assign(
    order_id: IdPath,
    body: AssignOrder,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> StepResult:
    """Give an order to a courier now; with pin, the dispatcher keeps it there."""
    result = service.assign(
        session, operator, order_id, body.courier_id, body.pin, body.reason, clock.now()
    )
    session.commit()
    return result


@router.post("/orders/{order_id}/unpin", responses=STEP_ERRORS)
def unpin(
    order_id: IdPath,
    body: StepReason,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> StepResult:
    """Let the dispatcher plan a pinned order freely again."""
    result = service.unpin(session, operator, order_id, body.reason, clock.now())
    session.commit()
    return result


@router.post("/orders/{order_id}/cancel", responses=STEP_ERRORS)
def cancel_order(
    order_id: IdPath,
    body: CancelByOperator,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> StepResult:
    """Cancel a whole order, with why and whose fault it is."""
    result = service.cancel_order(session, operator, order_id, body.reason, body.fault, clock.now())
    session.commit()
    return result


@router.post("/orders/{order_id}/tickets/{ticket_id}/cancel", responses=STEP_ERRORS)
def cancel_ticket(
    order_id: IdPath,
    ticket_id: IdPath,
    body: CancelByOperator,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
    geography: GeographyDep,
    settings: SettingsDep,
) -> StepResult:
    """Cancel one kitchen's part of an order; the customer pays for the rest."""
    reprice = repricer(geography, settings)
    result = service.cancel_ticket(
        session, operator, order_id, ticket_id, body.reason, body.fault, clock.now(), reprice
    )
    session.commit()
    return result


@router.get(
    "/orders/{order_id}/receipt",
    response_model=ReceiptPublic,
    responses={**error_responses(NotFound), **RECEIPT_FORMATS},
)
def order_receipt(
    order_id: IdPath,
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    format: ReceiptFormat = ReceiptFormat.JSON,
) -> Any:
    """Any order's receipt as its customer reads it, to answer a complaint or refund it."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order {order_id}")
    receipt = receipts.receipt(session, order, receipts.issuer_of(settings))
    return receipt_response(receipt, format, settings.timezone)


@router.post("/orders/{order_id}/refund", responses=STEP_ERRORS)
def refund_order(
    order_id: IdPath,
    body: RefundRequest,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> RefundResult:
    """Money back on an order handed over, charged to the party at fault, with a credit note."""
    result = service.refund(session, operator, order_id, body, clock.now())
    session.commit()
    return result


@router.post("/couriers/{courier_id}/move-stops", responses=STEP_ERRORS)
def move_stops(
    courier_id: IdPath,
    body: MoveStops,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> StepResult:
    """Give all of a courier's orders not yet collected to another courier, pinned there."""
    result = service.move_stops(
        session, operator, courier_id, body.to_courier_id, body.reason, clock.now()
    )
    session.commit()
    return result


@router.post("/couriers/{courier_id}/end-shift", responses=STEP_ERRORS)
def end_shift(
    courier_id: IdPath,
    body: StepReason,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ShiftPublic:
    """End a courier's shift: its stops not started go back to the dispatcher."""
    pay = PayRule.of(settings)
    result = service.end_shift(session, operator, courier_id, body.reason, clock.now(), pay)
    session.commit()
    return result


@router.post("/kitchens/{restaurant_id}/pace", responses=STEP_ERRORS)
def pace_kitchen(
    restaurant_id: IdPath,
    body: KitchenPace,
    operator: CurrentOperator,
    session: SessionDep,
    clock: ClockDep,
) -> StepResult:
    """Pause or resume a kitchen, or set its busy minutes."""
    entry = service.pace_kitchen(
        session,
        operator,
        restaurant_id,
        body.paused,
        body.busy_extra_minutes,
        body.reason,
        clock.now(),
    )
    session.commit()
    return StepResult(orders=[], audit_id=entry)


@router.post("/stops/{stop_id}/unlock-code", responses=error_responses(NotFound))
def unlock_code(
    stop_id: IdPath, operator: CurrentOperator, session: SessionDep, clock: ClockDep
) -> CodeUnlocked:
    """Give a relay parcel locked by wrong codes its tries back (the shop checked in)."""
    now = clock.now()
    unlocked = relays.unlock_code(session, stop_id, operator.id, now)
    service.audit(
        session,
        operator,
        AuditAction.UNLOCK_CODE,
        ("stop", stop_id),
        "the relay shop checked in",
        now,
        order_id=unlocked.order_id,
    )
    session.commit()
    return unlocked


@router.get("/audit")
def audit_log(
    operator: CurrentOperator,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[AuditPublic]:
    """The operators' steps, newest first (page with before_id)."""
    query = (
        select(AuditEntry, User.name)
        .join(User, col(User.id) == col(AuditEntry.actor_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    rows = session.exec(query).all()
    session.commit()
    return [
        AuditPublic(
            id=entry.id or 0,
            actor_id=entry.actor_id,
            actor_name=name,
            action=entry.action,
            subject_kind=entry.subject_kind,
            subject_id=entry.subject_id,
            reason=entry.reason,
            detail=entry.detail,
            at=entry.at,
        )
        for entry, name in rows
    ]


def _period(start: date, end: date | None) -> tuple[date, date]:
    last = end or start
    if last < start:
        raise InvalidInput([{"field": "end", "reason": "must not be before start"}])
    if (last - start).days >= reports.MAX_DAYS:
        raise InvalidInput([{"field": "end", "reason": f"at most {reports.MAX_DAYS} days"}])
    return start, last


@router.get("/ledger/trial-balance", responses=error_responses(InvalidInput))
def trial_balance(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
) -> TrialBalance:
    """The journal's debits and credits per account over the period (all time by default)."""
    begin, finish = reports.open_bounds(start, end, settings.timezone)
    totals = ledger.trial_balance(session, begin, finish)
    session.commit()
    debit, credit = sum(t.debit_cents for t in totals), sum(t.credit_cents for t in totals)
    return TrialBalance(
        balanced=debit == credit,
        debit_cents=debit,
        credit_cents=credit,
        accounts=[
            AccountTotalPublic(
                account=t.account, debit_cents=t.debit_cents, credit_cents=t.credit_cents
            )
            for t in totals
        ],
    )


STATEMENT_FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, "application/pdf": {}, "text/html": {}}}
}


class StatementFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"
    HTML = "html"


def statement_response(statement: Statement, format: StatementFormat, settings: Settings) -> Any:
    """The statement as JSON, a printable page, or its CSV or PDF file."""
    name = f"statement-{statement.party.replace(':', '-')}.{format.value}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format is StatementFormat.CSV:
        text = statements.statement_csv(statement)
        return PlainTextResponse(text, media_type="text/csv", headers=disposition)
    if format is StatementFormat.PDF:
        pdf = statements.statement_pdf(statement, settings.alliance_name, settings.timezone)
        return Response(pdf, media_type="application/pdf", headers=disposition)
    if format is StatementFormat.HTML:
        page = statements.statement_html(statement, settings.alliance_name, settings.timezone)
        return HTMLResponse(page)
    return statement


@router.get(
    "/statements",
    response_model=Statement,
    responses={
        **error_responses(InvalidInput, NotFound),
        **STATEMENT_FILES,
    },
)
def statement(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    party: Party,
    start: From = None,
    end: To = None,
    format: StatementFormat = StatementFormat.JSON,
) -> Any:
    """A kitchen's or a courier's statement over the period, with totals equal to the journal's."""
    kind, ident = party.split(":")
    bounds = reports.open_bounds(start, end, settings.timezone)
    if kind == "courier":
        if session.get(Courier, int(ident)) is None:
            raise NotFound(f"no courier {ident}")
        result = statements.courier_statement(session, int(ident), (start, end), bounds)
    else:
        if session.get(Restaurant, int(ident)) is None:
            raise NotFound(f"no kitchen {ident}")
        result = statements.kitchen_statement(session, int(ident), (start, end), bounds)
    session.commit()
    return statement_response(result, format, settings)


@router.get("/income", responses=error_responses(InvalidInput))
def income(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
) -> Income:
    """The alliance's income by source over the period: fees, commissions, pay, refunds."""
    bounds = reports.open_bounds(start, end, settings.timezone)
    result = statements.income(session, (start, end), bounds)
    session.commit()
    return result


@router.get(
    "/exports/fec",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **error_responses(InvalidInput)},
)
def export_fec(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    start: From = None,
    end: To = None,
) -> Response:
    """The journal over the period as a FEC file, the layout French accountants import."""
    bounds = reports.open_bounds(start, end, settings.timezone)
    text = fec.fec(session, *bounds)
    session.commit()
    closing = end or local(clock.now(), settings.timezone).date()
    name = f"FEC{closing:%Y%m%d}.txt"
    return PlainTextResponse(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports", responses=error_responses(InvalidInput))
def report(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    start: Annotated[date, Query(description="First local date")],
    end: Annotated[date | None, Query(description="Last local date (default: start)")] = None,
) -> Report:
    """A day's or a period's figures: orders, revenue, delivery times, kitchens, couriers."""
    first, last = _period(start, end)
    result = reports.report(session, first, last, settings.timezone)
    session.commit()
    return result


@router.get(
    "/reports/orders.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(InvalidInput)},
)
def report_orders(
    operator: CurrentOperator,
    session: ReadSessionDep,
    settings: SettingsDep,
    start: Annotated[date, Query(description="First local date")],
    end: Annotated[date | None, Query(description="Last local date (default: start)")] = None,
) -> Response:
    """The period's orders as CSV, one line each."""
    first, last = _period(start, end)
    text = reports.orders_csv(session, first, last, settings.timezone)
    session.commit()
    return Response(text, media_type="text/csv; charset=utf-8")
