"""The customer site: browse the alliance, one cart across kitchens, quote, order, follow."""

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.deps import ClockDep, SessionDep, SettingsDep
from api.errors import NotFound
from api.models import Language
from api.pages import i18n
from api.schemas.common import IdPath
from api.services import catalogue
from api.services.vat import euros
from dispatch.geo.drawing import ATTRIBUTION

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TEMPLATES.env.globals["attribution"] = ATTRIBUTION
TEMPLATES.env.filters["euros"] = euros

i18n.install(TEMPLATES)
router = APIRouter(include_in_schema=False, dependencies=[Depends(i18n.page_language)])


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> HTMLResponse:
    """The alliance's kitchens."""
    restaurants = catalogue.list_restaurants(
        session,
        now=clock.now(),
        timezone=settings.timezone,
        open_now=None,
        paused=None,
        cuisine=None,
        limit=100,
        offset=0,
    )
    return TEMPLATES.TemplateResponse(request, "home.html", {"restaurants": restaurants})


@router.get("/r/{slug}", response_class=HTMLResponse)
def restaurant(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> HTMLResponse:
    """One kitchen's menu, with buttons that fill the shared cart."""
    found = catalogue.restaurant_id_by_slug(session, slug)
    if found is None:
        raise NotFound(f"no restaurant {slug}")
    menu = catalogue.menu(session, found, now=clock.now(), timezone=settings.timezone)
    return TEMPLATES.TemplateResponse(request, "menu.html", {"menu": menu})


@router.get("/cart", response_class=HTMLResponse)
def cart(request: Request, session: SessionDep) -> HTMLResponse:
    """The cart across kitchens, the destination, the quote and the order button."""
    relays = catalogue.list_relay_points(session)
    return TEMPLATES.TemplateResponse(request, "cart.html", {"relay_points": relays})


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    """Sign in (the token stays in this browser)."""
    return TEMPLATES.TemplateResponse(request, "login.html", {})


@router.get("/lang/{language}")
def set_language(language: Language, request: Request, next: str = "/") -> RedirectResponse:
    """Show the site in this language from now on (a cookie), then go back."""
    back = next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(i18n.COOKIE, language.value, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup(request: Request) -> HTMLResponse:
    """Create a customer account, then come back to the cart."""
    return TEMPLATES.TemplateResponse(request, "signup.html", {})


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> HTMLResponse:
    """The customer's account: order mails, saved addresses, sign out."""
    return TEMPLATES.TemplateResponse(request, "account.html", {})


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request) -> HTMLResponse:
    """The customer's orders, newest first."""
    return TEMPLATES.TemplateResponse(request, "orders.html", {})


@router.get("/courier", response_class=HTMLResponse)
def courier(request: Request) -> HTMLResponse:
    """The courier's round: the stops in order, on the street map, with their buttons."""
    return TEMPLATES.TemplateResponse(request, "courier.html", {})


@router.get("/relay", response_class=HTMLResponse)
def relay(request: Request) -> HTMLResponse:
    """A relay shop's counter: today's parcels, received, collected with the customer's code."""
    return TEMPLATES.TemplateResponse(request, "relay.html", {})


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def follow(order_id: IdPath, request: Request) -> HTMLResponse:
    """Follow an order live: its state, each kitchen, the estimated delivery."""
    return TEMPLATES.TemplateResponse(request, "order.html", {"order_id": order_id})
