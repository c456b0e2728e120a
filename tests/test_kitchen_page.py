"""The kitchen screen in headless Chromium: a new ticket appears with its allergens, is
accepted, started and bumped with the screen's buttons, and leaves the board."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import page_on
from tests.live import LiveServer
from tests.test_kitchen_ws import place_order

pytestmark = pytest.mark.slow


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    return sqlite_server


@pytest.fixture
def page(server: LiveServer, tmp_path: Path) -> Iterator[Page]:
    # A kitchen tablet, landscape.
    with page_on(
        server.url, tmp_path / "last-page.png", viewport={"width": 1280, "height": 800}
    ) as page:
        yield page


def order_status(server: LiveServer, order_id: int) -> str:
    headers = server.headers("customer@chaud.demo")
    return str(
        httpx.get(f"{server.url}/api/v1/orders/{order_id}", headers=headers).json()["status"]
    )


def test_a_ticket_goes_from_new_to_bumped_on_the_screen(page: Page, server: LiveServer) -> None:
    page.goto("/login?next=/kitchen")
    page.fill("input[name=username]", "kitchen-pho-turenne@chaud.demo")
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")
    expect(page.locator("#station-filter")).to_be_visible()
    expect(page.locator("#offline")).to_be_hidden()

    order = place_order(server, "Nems (4)")
    card = page.locator(f".ticket[data-ticket-id='{order['tickets'][0]['id']}']")
    expect(card).to_contain_text(f"#{order['id']}")
    expect(card).to_contain_text("2×")
    expect(card.locator(".allergen", has_text="gluten")).to_be_visible()
    expect(card).to_contain_text("no coriander")
    expect(page.locator("#all-day")).to_contain_text("Nems (4)")
    assert order_status(server, order["id"]) == "placed"

    card.locator("button", has_text="Accept").click()
    card.locator("button", has_text="Start").click()
    card.locator("button", has_text="Bump").click()
    expect(card).to_have_count(0)
    expect(page.locator("#bumped")).to_contain_text(f"#{order['id']}")
    assert order_status(server, order["id"]) == "in_preparation"
