"""The operator's pages (the live board, the audit log, the alliance) and the welcome page."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.pages import i18n
from api.pages.customer import TEMPLATES

router = APIRouter(include_in_schema=False, dependencies=[Depends(i18n.page_language)])


@router.get("/ops", response_class=HTMLResponse)
def board(request: Request) -> HTMLResponse:
    """The live board: the map, orders by state, couriers, kitchens, alerts, steps."""
    return TEMPLATES.TemplateResponse(request, "ops.html", {})


@router.get("/ops/audit", response_class=HTMLResponse)
def audit(request: Request) -> HTMLResponse:
    """Who stepped in, when, on what and why."""
    return TEMPLATES.TemplateResponse(request, "ops_audit.html", {})


@router.get("/ops/alliance", response_class=HTMLResponse)
def alliance(request: Request) -> HTMLResponse:
    """Restaurants, their hours and menus; the alliance's people."""
    return TEMPLATES.TemplateResponse(request, "ops_alliance.html", {})


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request) -> HTMLResponse:
    """Set a password with a one-time link (an invitation or a reset)."""
    return TEMPLATES.TemplateResponse(request, "welcome.html", {})


@router.get("/ops/reports", response_class=HTMLResponse)
def reports(request: Request) -> HTMLResponse:
    """A day's or a period's figures, with plots and the orders as CSV."""
    return TEMPLATES.TemplateResponse(request, "ops_reports.html", {})
