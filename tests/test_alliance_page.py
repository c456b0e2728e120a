"""The operator sets up a new restaurant in headless Chromium: the restaurant, its hours, two
dishes and a kitchen account; the kitchen sets its password from the one-time link, signs in,
and sees its first ticket on its screen."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.clock import FixedClock
from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_ops_page import SCREENSHOTS

pytestmark = pytest.mark.slow
NEAR_OBERKAMPF = (48.8646, 2.3700)


@pytest.fixture
def server(tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    with live_server("sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING), (1,)) as live:
        yield live


def sign_in(page: Page, email: str, password: str = "chaud-demo") -> None:  # noqa: S107
    page.goto("/login")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form button")


def fill(page: Page, form: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f"{form} [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator(f"{form} button[type=submit]").click()


def test_a_new_restaurant_from_the_console_to_its_first_ticket(server: LiveServer) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with page_on(
        server.url, SCREENSHOTS / "ops-alliance.png", viewport={"width": 1280, "height": 1000}
    ) as page:
        sign_in(page, "operator@chaud.demo")
        page.wait_for_url("**/ops")
        page.goto("/ops/alliance")
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        page.locator("#new-restaurant summary").click()
        fill(
            page,
            "#restaurant-form",
            {
                "name": "Chez Margot",
                "slug": "chez-margot",
                "cuisine": "Bistrot",
                "address": "12 rue Oberkampf",
                "lat": str(NEAR_OBERKAMPF[0]),
                "lon": str(NEAR_OBERKAMPF[1]),
            },
        )
        expect(page.locator("#detail-title")).to_have_text("Chez Margot")
        fill(page, "#hours-form", {"opens": "11:00", "closes": "23:00"})
        expect(page.locator("#hours-now")).to_contain_text("Fri 11:00–23:00")
        fill(page, "#dish-form", {"name": "Blanquette", "price": "16.50", "prep_minutes": "12"})
        expect(page.locator("#dish-list li")).to_have_count(1)
        dish = {"name": "Tarte Tatin", "price": "7", "prep_minutes": "5", "station": "pastry"}
        fill(page, "#dish-form", {**dish, "allergens": "gluten; eggs; milk"})
        expect(page.locator("#dish-list li")).to_have_count(2)
        expect(page.locator("#dish-list")).to_contain_text("16,50 €")

        # The restaurant on screen is the one a kitchen account is invited to.
        expect(page.locator("#invite-restaurant option:checked")).to_have_text("Chez Margot")
        fill(
            page,
            "#invite-form",
            {"name": "Margot", "email": "margot@example.org", "role": "kitchen"},
        )
        link = page.locator("#invite-url")
        expect(link).to_be_visible()
        invitation = str(link.get_attribute("href"))
        expect(page.locator("#people-list")).to_contain_text("margot@example.org")
        # The first courier's week: Friday to Sunday evenings (the form's default days).
        page.locator("#roster-form button[type=submit]").click()
        expect(page.locator("#roster-now")).to_have_text(
            "Planned: Fri 18:00–23:00, Sat 18:00–23:00, Sun 18:00–23:00"
        )

    with page_on(server.url, SCREENSHOTS / "kitchen-first-ticket.png") as kitchen:
        kitchen.goto(invitation)
        kitchen.fill("input[name=password]", "blanquette du vendredi soir")
        kitchen.click("#welcome-form button")
        expect(kitchen.locator("#welcome-done")).to_be_visible()
        sign_in(kitchen, "margot@example.org", "blanquette du vendredi soir")
        kitchen.wait_for_url("**/kitchen")  # a kitchen's home is its screen
        expect(kitchen.locator("#station-filter")).to_be_visible()

        dishes = httpx.get(f"{server.url}/api/v1/dishes", params={"q": "Blanquette"}).json()
        ours = next(d for d in dishes if d["restaurant_slug"] == "chez-margot")
        response = httpx.post(
            f"{server.url}/api/v1/orders",
            json={
                "lines": [{"dish_id": ours["id"], "quantity": 2}],
                "destination": {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"},
            },
            headers={
                **server.headers("customer@chaud.demo"),
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        assert response.status_code == 201, response.text
        ticket = response.json()["tickets"][0]["id"]
        card = kitchen.locator(f".ticket[data-ticket-id='{ticket}']")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Blanquette")
