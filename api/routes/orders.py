"""Quotes and orders: a cart across kitchens, priced and placed once."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import (
    ClockDep,
    CurrentCustomer,
    GeographyDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
)
from api.errors import (
    ROLE_ERRORS,
    Conflict,
    InvalidInput,
    NotFound,
    error_responses,
)
from api.models import Order, Restaurant
from api.routes.restaurants import Limit, Offset
from api.schemas.common import IdPath
from api.schemas.orders import (
    CartRequest,
    FeeBreakdown,
    OrderPublic,
    OrderSummary,
    QuotePublic,
    ReceiptPublic,
)
from api.services import idempotency, receipts
from api.services import orders as service
from api.services.kitchen import Repricer
from api.services.quotes import PricingRules, fee_for, quote_cart
from api.settings import Settings
from dispatch.geo.geography import Geography

router = APIRouter(tags=["orders"])


def pricing_rules(settings: Settings) -> PricingRules:
    return PricingRules(
        max_restaurants=settings.max_restaurants_per_order,
        base_cents=settings.fee_base_cents,
        per_extra_restaurant_cents=settings.fee_per_extra_restaurant_cents,
        per_extra_km_cents=settings.fee_per_extra_km_cents,
        timezone=settings.timezone,
        vat_rates_bp=settings.vat_rates_bp,
        delivery_vat_bp=settings.delivery_vat_bp,
        meal_voucher_daily_cap_cents=settings.meal_voucher_daily_cap_cents,
    )


def repricer(geography: Geography, settings: Settings) -> Repricer:
    """The delivery fee for an order's kitchens still coming, by the alliance's rules."""
    rules = pricing_rules(settings)

    def reprice(order: Order, kitchens: list[Restaurant]) -> FeeBreakdown:
        return fee_for(geography, rules, [(k.lat, k.lon) for k in kitchens], (order.lat, order.lon))

    return reprice


@router.post("/quotes", responses=error_responses(InvalidInput))
def quote(
    cart: CartRequest,
    session: SessionDep,
    geography: GeographyDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> QuotePublic:
    """Price a cart on the server: lines, each kitchen's part, itemised fee, delivery time."""
    return quote_cart(
        session, cart, geography=geography, rules=pricing_rules(settings), now=clock.now()
    ).public


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderPublic,
    responses={**ROLE_ERRORS, **error_responses(Conflict, InvalidInput)},
)
def place_order(
    cart: CartRequest,
    customer: CurrentCustomer,
    session: SessionDep,
    reader: ReadSessionDep,
    geography: GeographyDep,
    settings: SettingsDep,
    clock: ClockDep,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Required: unique per order attempt; a retry with the same key and "
            "cart gets the first answer",
        ),
    ],
) -> Any:
    """Place an order: one ticket per kitchen, all in one transaction; safe to retry."""
    customer_id = customer.id
    now = clock.now()
    fingerprint = idempotency.request_hash(cart.model_dump(mode="json"))
    claimed = idempotency.claim(session, customer_id, idempotency_key, fingerprint, now)
    if isinstance(claimed, idempotency.Replay):
        return JSONResponse(claimed.body, status_code=claimed.status_code)
    try:
        # Priced in a read transaction: on SQLite the write lock is held only for the writes.
        try:
            quoted = quote_cart(
                reader, cart, geography=geography, rules=pricing_rules(settings), now=now
            )
        finally:
            if reader is not session:
                reader.rollback()  # hand its connection back before waiting for a writer
        body = service.create_order(session, customer_id, quoted, now).model_dump(mode="json")
        idempotency.complete(session, claimed, status.HTTP_201_CREATED, body)
    except BaseException:
        # Whatever failed before the commit (a refusal, a bug, a lost database), nothing was
        # written: the key may be used again at once.
        idempotency.release(session, claimed)
        raise
    # A commit that fails may still have committed: the key stays claimed, and a retry gets
    # the stored answer, or the key back once it is stale (idempotency.STALE_AFTER).
    session.commit()
    return JSONResponse(body, status_code=status.HTTP_201_CREATED)


@router.get("/orders", responses=ROLE_ERRORS)
def list_orders(
    customer: CurrentCustomer, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> list[OrderSummary]:
    """The customer's orders, newest first."""
    return service.list_orders(session, customer.id, limit=limit, offset=offset)


@router.get("/orders/{order_id}", responses={**ROLE_ERRORS, **error_responses(NotFound)})
def get_order(order_id: IdPath, customer: CurrentCustomer, session: SessionDep) -> OrderPublic:
    """One order: its timeline, each kitchen's part, its ETA and, once on its way, the courier."""
    return service.order_public(session, service.own_order(session, customer.id, order_id))


RECEIPT_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}, "text/html": {}}}
}


class ReceiptFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


@router.get(
    "/orders/{order_id}/receipt",
    response_model=ReceiptPublic,
    responses={
        **ROLE_ERRORS,
        **error_responses(NotFound),
        **RECEIPT_FORMATS,
    },
)
def get_receipt(
    order_id: IdPath,
    customer: CurrentCustomer,
    session: ReadSessionDep,
    settings: SettingsDep,
    format: ReceiptFormat = ReceiptFormat.JSON,
) -> Any:
    """The order's receipt: each kitchen's part, the fee, VAT per rate, refunds; or HTML, PDF."""
    order = service.own_order(session, customer.id, order_id)
    receipt = receipts.receipt(session, order, receipts.issuer_of(settings))
    session.commit()
    return receipt_response(receipt, format, settings.timezone)


def receipt_response(receipt: ReceiptPublic, format: ReceiptFormat, timezone: str) -> Any:
    """The receipt as data, a printable page or a PDF to download."""
    if format is ReceiptFormat.PDF:
        name = f"receipt-{receipt.order_id}.pdf"
        return Response(
            receipts.receipt_pdf(receipt, timezone),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if format is ReceiptFormat.HTML:
        return HTMLResponse(receipts.receipt_html(receipt, timezone))
    return receipt


@router.post(
    "/orders/{order_id}/cancel",
    responses={**ROLE_ERRORS, **error_responses(NotFound, Conflict)},
)
def cancel_order(
    order_id: IdPath, customer: CurrentCustomer, session: SessionDep, clock: ClockDep
) -> OrderPublic:
    """Cancel an order, as long as no kitchen has started cooking it."""
    service.own_order(session, customer.id, order_id)
    order = service.cancel_order(session, order_id, clock.now(), "cancelled by the customer")
    session.commit()
    return service.order_public(session, order)
