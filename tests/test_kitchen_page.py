"""The kitchen screen in headless Chromium: a new ticket appears with its allergens, is
accepted, started and bumped with the screen's buttons, and leaves the board."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
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


def sign_in_kitchen(page: Page, email: str = "kitchen-pho-turenne@chaud.demo") -> None:
    # The tablet lives on the server's Friday evening: ages and start times compare with it.
    page.clock.set_fixed_time(FRIDAY_EVENING)
    page.goto("/login?next=/kitchen")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")


def test_the_kitchen_refuses_pauses_slows_down_and_sells_out_from_its_screen(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    sign_in_kitchen(page)
    expect(page.locator("#restaurant-name")).to_have_text("Phở Turenne")
    order = place_order(server, "Nems (4)")
    card = page.locator(f".ticket[data-ticket-id='{order['tickets'][0]['id']}']")
    expect(card.locator(".start")).to_have_text("Start now")  # never a negative countdown
    card.locator("button.refuse").click()
    card.locator("select[name=reason]").select_option("Out of an ingredient")
    card.locator("input[name=detail]").fill("no rice paper")
    page.wait_for_timeout(1500)  # the board redraws every second: what is typed stays
    expect(card.locator("input[name=detail]")).to_have_value("no rice paper")
    card.locator("button.confirm-refuse").click()
    expect(card).to_have_count(0)
    seen = httpx.get(
        f"{server.url}/api/v1/orders/{order['id']}", headers=server.headers("customer@chaud.demo")
    ).json()
    assert seen["status"] == "cancelled"
    assert seen["tickets"][0]["refuse_reason"] == "Out of an ingredient: no rice paper"

    page.click("#pause")
    expect(page.locator("#paused-banner")).to_be_visible()
    page.select_option("#busy", "10")
    expect(page.locator("#pause")).to_have_text("Resume orders")
    page.click("#menu-button")
    page.locator("#menu-dishes button", has_text="Nems (4)").click()
    expect(page.locator("#menu-dishes button", has_text="Nems (4)")).to_have_class("sold-out")
    page.screenshot(path=str(tmp_path / "kitchen-controls.png"))
    kitchen = httpx.get(
        f"{server.url}/api/v1/kitchen/restaurant",
        headers=server.headers("kitchen-pho-turenne@chaud.demo"),
    ).json()
    assert (kitchen["paused"], kitchen["busy_extra_minutes"]) == (True, 10)


def test_a_booked_order_waits_in_later_and_out_of_the_all_day(
    page: Page, server: LiveServer
) -> None:
    sign_in_kitchen(page)
    tomorrow_noon = (FRIDAY_EVENING + timedelta(days=1)).replace(hour=12, minute=30)
    booked = place_order(server, "Nems (4)", deliver_at=tomorrow_noon)
    now = place_order(server, "Phở bò")
    expect(page.locator(f".ticket[data-ticket-id='{now['tickets'][0]['id']}']")).to_be_visible()
    expect(page.locator(f".ticket[data-ticket-id='{booked['tickets'][0]['id']}']")).to_have_count(0)
    expect(page.locator("#later")).to_contain_text(f"#{booked['id']}")
    expect(page.locator("#later")).to_contain_text("for 12:30")
    expect(page.locator("#all-day")).to_contain_text("Phở bò")
    expect(page.locator("#all-day")).not_to_contain_text("Nems")


def test_a_wrong_account_is_told_so_not_offline(page: Page) -> None:
    sign_in_kitchen(page, "customer@chaud.demo")
    page.goto("/kitchen")
    expect(page.locator("#refused")).to_contain_text("sign in with your kitchen's account")
    page.wait_for_timeout(1500)
    expect(page.locator("#offline")).to_be_hidden()


def test_a_french_tablet_reads_french(server: LiveServer, tmp_path: Path) -> None:
    with page_on(server.url, tmp_path / "fr.png", locale="fr-FR") as page:
        sign_in_kitchen(page)
        expect(page.locator("#pause")).to_have_text("Suspendre les commandes")
        order = place_order(server, "Nems (4)")
        card = page.locator(f".ticket[data-ticket-id='{order['tickets'][0]['id']}']")
        expect(card.locator(".start")).to_have_text("Lancer maintenant")
        expect(card.locator("button.next")).to_have_text("Accepter")
