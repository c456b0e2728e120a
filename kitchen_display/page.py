"""The kitchen screen: a page for a tablet on the pass."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.pages import i18n

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
i18n.install(TEMPLATES)
router = APIRouter(include_in_schema=False, dependencies=[Depends(i18n.page_language)])


@router.get("/kitchen", response_class=HTMLResponse)
def kitchen_screen_page(request: Request) -> HTMLResponse:
    """The live ticket board of the signed-in kitchen."""
    return TEMPLATES.TemplateResponse(request, "kitchen.html", {})
