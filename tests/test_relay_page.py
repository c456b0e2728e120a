"""The relay flow end to end in headless Chromium: a customer orders to a tobacconist, the
courier hands the parcel over, the shop confirms on its page, the customer's order page says it
is ready there, the shop types the customer's code and the order is collected."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.clock import FixedClock
from dispatch.geo.geography import Geography
from tests.browser import chromium
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_courier_page import dispatch_once
from tests.test_dispatcher import NEAR_OBERKAMPF

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    with live_server("sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING), ()) as live:
        yield live


def in_paris(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, email: str, next_page: str) -> None:
    page.clock.set_fixed_time(FRIDAY_EVENING)
    page.goto(f"/login?next={next_page}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")
    expect(page).not_to_have_url(re.compile("/login"))


def order_to_voltaire(page: Page) -> int:
    page.goto("/r/comptoir-oberkampf")
    page.locator("li.dish", has_text="Croque-monsieur").locator("button.add").click()
    page.goto("/cart")
    page.check("input[value=relay]")
    page.select_option("#relay-point", label="Le Voltaire (06:30–22:00)")
    page.click("#quote-button")
    expect(page.locator("#quote-table")).to_contain_text("Le Voltaire")
    page.click("#order-button")
    page.wait_for_url("**/orders/*")
    return int(page.url.rsplit("/", 1)[1])


def ride_to_the_shop(server: LiveServer, geography: Geography, tmp: Path, cache: Path) -> None:
    """The courier collects the bag and stands at the counter (through the API)."""
    url = server.url + "/api/v1"
    courier = server.headers("courier-1@chaud.demo")
    dispatch_once(server, geography, tmp, cache)
    kitchen = server.headers("kitchen-comptoir-oberkampf@chaud.demo")
    ticket = httpx.get(f"{url}/kitchen/tickets", headers=kitchen).json()[0]["id"]
    for action in ("start", "ready"):
        assert httpx.post(f"{url}/kitchen/tickets/{ticket}/{action}", headers=kitchen).is_success
    pickup, door = httpx.get(f"{url}/courier/round", headers=courier).json()["stops"]
    assert httpx.post(f"{url}/courier/stops/{pickup['id']}/done", headers=courier).is_success
    handed = httpx.post(f"{url}/courier/stops/{door['id']}/done", headers=courier)
    assert handed.json()["detail"]["current_status"] == "awaiting_shop"


def test_a_parcel_from_the_kitchen_to_the_customer_through_the_shop(
    server: LiveServer, geography: Geography, tmp_path: Path, graph_cache: Path
) -> None:
    with chromium() as browser:
        customer = in_paris(browser, server.url)
        shop = in_paris(browser, server.url)
        courier = server.headers("courier-1@chaud.demo")
        started = httpx.post(
            f"{server.url}/api/v1/courier/shift/start", json=NEAR_OBERKAMPF, headers=courier
        )
        assert started.status_code == 200, started.text
        sign_in(customer, "customer@chaud.demo", "/")
        order_id = order_to_voltaire(customer)
        expect(customer.locator("#relay-point")).to_contain_text(
            "Collect at Le Voltaire, Boulevard Voltaire, 75011 Paris, open 06:30–22:00"
        )
        code = customer.locator("#relay-code strong").inner_text()
        assert len(code) == 6

        sign_in(shop, "relay-tabac-voltaire@chaud.demo", "/relay")
        row = shop.locator(f"#parcels tr[data-order-id='{order_id}']")
        expect(row).to_contain_text("Camille Martin")
        expect(customer.locator("#order-map path.destination")).to_be_attached()
        ride_to_the_shop(server, geography, tmp_path, graph_cache)
        # On its way: the order page hears it over the order's feed and shows the courier.
        expect(customer.locator("#order-status")).to_have_text("On its way")
        expect(customer.locator("#order-map path.courier")).to_be_attached()
        customer.screenshot(path=str(tmp_path / "customer-on-its-way.png"), full_page=True)
        shop.reload()
        expect(row).to_contain_text("is here")
        row.locator("button.received").click()
        expect(row).to_contain_text("At the counter")
        expect(customer.locator("#order-status")).to_have_text(
            "Ready at the relay point", timeout=10_000
        )
        expect(customer.locator("#order-timeline")).to_contain_text("give the shop your code")

        row.locator("input.code").fill("000000" if code != "000000" else "111111")
        row.locator("button.collect").click()
        expect(shop.locator("#problems")).to_contain_text("4 tries left")
        # The counter redraws the parcel once with its tries left; the next code goes there.
        expect(row.locator("small")).to_contain_text("4 tries left")
        row.locator("input.code").fill(code)
        row.locator("button.collect").click()
        expect(row).to_contain_text("Collected")
        shop.screenshot(path=str(tmp_path / "shop-collected.png"))
        expect(customer.locator("#order-status")).to_have_text("Collected", timeout=10_000)
        expect(customer.locator("#order-when")).to_have_text("At the shop since: 19:30")
        customer.screenshot(path=str(tmp_path / "customer-collected.png"), full_page=True)
