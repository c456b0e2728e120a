"""The customer site end to end in headless Chromium: sign in, a cart across two kitchens,
the quote with its itemised fee, the order, and following it live."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import page_on
from tests.live import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    return sqlite_server


@pytest.fixture
def page(server: LiveServer, tmp_path: Path) -> Iterator[Page]:
    with page_on(server.url, tmp_path / "last-page.png") as page:
        yield page


def _accept_as_kitchen(server: LiveServer, slug: str, order_id: int) -> None:
    headers = server.headers(f"kitchen-{slug}@chaud.demo")
    tickets = httpx.get(f"{server.url}/api/v1/kitchen/tickets", headers=headers).json()
    ticket = next(t for t in tickets if t["order_id"] == order_id)
    response = httpx.post(
        f"{server.url}/api/v1/kitchen/tickets/{ticket['id']}/accept", headers=headers
    )
    assert response.status_code == 200, response.text


def test_a_customer_orders_from_two_kitchens_and_follows_the_order(
    page: Page, server: LiveServer
) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "customer@chaud.demo")
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")
    expect(page.locator("h1")).to_have_text("The alliance's kitchens")

    page.click("text=Le Comptoir d'Oberkampf")
    page.locator("li.dish", has_text="Steak frites").locator("button.add").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    page.goto("/r/pho-turenne")
    page.locator("li.dish", has_text="Phở bò").locator("button.add").click()
    expect(page.locator("#cart-count")).to_have_text("2")

    page.click("#cart-link")
    expect(page.locator("#cart-lines li")).to_have_count(2)
    expect(page.locator("#saved-address")).to_have_value("1")
    page.click("#quote-button")
    quote = page.locator("#quote-table")
    expect(quote).to_contain_text("Delivery: base")
    expect(quote).to_contain_text("Delivery: 1 extra kitchen(s)")
    expect(quote).to_contain_text("extra ride")
    expect(quote).to_contain_text("Total")

    page.click("#order-button")
    page.wait_for_url("**/orders/*")
    order_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#order-status")).to_have_text("Placed")
    expect(page.locator("#order-tickets")).to_contain_text("Phở Turenne: waiting for the kitchen")
    expect(page.locator("#order-tickets")).to_contain_text("Le Comptoir d'Oberkampf: accepted")

    _accept_as_kitchen(server, "pho-turenne", order_id)
    expect(page.locator("#order-status")).to_have_text("Confirmed", timeout=10_000)
    expect(page.locator("#order-timeline li")).to_have_count(2)


def test_an_undeliverable_cart_says_why(page: Page) -> None:
    page.goto("/r/bouillon-colette")
    page.locator("li.dish", has_text="Riz au lait").locator("button.add").click()
    page.goto("/cart")
    page.check("input[value=relay]")
    page.select_option("#relay-point", label="Tabac du Temple (07:00–20:30)")
    page.fill("#deliver-at", "2026-11-27T23:50")
    page.click("#quote-button")
    expect(page.locator("#problems")).to_contain_text("Bouillon Colette is closed at 23:")
    expect(page.locator("#problems")).to_contain_text("Tabac du Temple is closed at 23:50")
    expect(page.locator("#quote")).to_be_hidden()
