"""A page, not JSON, for a person's browser that asks for something that is not there.

The API keeps answering JSON (its error hierarchy, api.errors); a GET outside it from a browser
(``Accept: text/html``) that finds nothing gets the site's own 404 page.
"""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.errors import ChaudError
from api.pages import i18n
from api.pages.customer import TEMPLATES

Handler = Callable[[Request, Exception], Awaitable[Response]]
_NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics", "/static/", "/kitchen-static/")


def wants_page(request: Request) -> bool:
    return (
        request.method == "GET"
        and not request.url.path.startswith(_NOT_PAGES)
        and "text/html" in request.headers.get("accept", "")
    )


def _page_or(json_handler: Handler) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        status = getattr(error, "status_code", 500)
        if status == 404 and wants_page(request):
            i18n.use(i18n.choose(request))
            return TEMPLATES.TemplateResponse(
                request, "404.html", {"path": request.url.path}, status_code=404
            )
        return await json_handler(request, error)

    return handle


def install(app: FastAPI) -> None:
    """Wrap the JSON handlers of a 404 (installed before) with the page for browsers."""
    for kind in (StarletteHTTPException, ChaudError):
        json_handler = app.exception_handlers[kind]
        app.add_exception_handler(kind, _page_or(json_handler))  # type: ignore[arg-type]
