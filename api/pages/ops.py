"""The operator's pages: the live board and the audit log (their data comes from /api/v1/ops)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.pages.customer import TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/ops", response_class=HTMLResponse)
def board(request: Request) -> HTMLResponse:
    """The live board: the map, orders by state, couriers, kitchens, alerts, steps."""
    return TEMPLATES.TemplateResponse(request, "ops.html", {})


@router.get("/ops/audit", response_class=HTMLResponse)
def audit(request: Request) -> HTMLResponse:
    """Who stepped in, when, on what and why."""
    return TEMPLATES.TemplateResponse(request, "ops_audit.html", {})
