"""The API's documentation page, on the bundled Swagger UI."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.pages.customer import TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over the OpenAPI document."""
    return TEMPLATES.TemplateResponse(
        request, "docs.html", {"openapi_url": request.app.openapi_url}
    )
