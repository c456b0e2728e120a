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

    with page.expect_download() as download:
        page.click("#receipt-button")
    assert download.value.suggested_filename == f"receipt-{order_id}.pdf"
    saved = download.value.path()
    assert saved.read_bytes().startswith(b"%PDF-")


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


def test_the_door_goes_with_the_address_the_customer_chose(page: Page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "customer@chaud.demo")
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")
    expect(page.locator("h1")).to_have_text("The alliance's kitchens")
    page.goto("/r/pho-turenne")
    page.locator("li.dish", has_text="Nems (4)").locator("button.add").click()
    page.goto("/cart")
    # The saved address brings its door along.
    expect(page.locator("#saved-address")).to_have_value("1")
    expect(page.locator("#door-code")).to_have_value("4521B")
    expect(page.locator("#door-notes")).to_have_value("Courtyard, then the second door on the left")
    page.click("#quote-button")
    expect(page.locator("#quote-table")).to_contain_text(
        "12 Rue Charlot, 75003 Paris, floor 3, code 4521B"
    )
    # A street typed now is where the food goes: the saved address steps aside.
    page.fill("#street", "12 rue Oberk")
    option = page.locator("#street-options option").first
    expect(option).to_have_text("12 Rue Oberkampf")
    page.fill("#street", "12 Rue Oberkampf")  # the customer picks the door offered
    expect(page.locator("#saved-address")).to_have_value("")
    expect(page.locator("#door-code")).to_have_value("")
    expect(page.locator("#house-number")).to_have_value("12")
    expect(page.locator("#street")).to_have_value("Rue Oberkampf")
    expect(page.locator("#door-precision")).to_contain_text("Door placed")
    page.fill("#phone", "06 12 34 56 78")
    page.click("#quote-button")
    expect(page.locator("#quote-table")).to_contain_text("12 Rue Oberkampf")
    page.fill("#phone", "call me")
    page.click("#quote-button")
    expect(page.locator("#problems")).to_contain_text("Phone: not a phone number")


def test_an_empty_cart_or_no_address_is_said_in_words(page: Page) -> None:
    page.goto("/cart")
    page.click("#quote-button")
    expect(page.locator("#problems")).to_have_text(
        "Your cart is empty: add a dish from a kitchen first."
    )
    page.goto("/r/pho-turenne")
    page.locator("li.dish", has_text="Nems (4)").locator("button.add").click()
    page.goto("/cart")
    page.click("#quote-button")
    expect(page.locator("#problems")).to_contain_text("Choose where to deliver")
    expect(page.locator("#problems")).not_to_contain_text("validation")


def test_the_cart_fits_a_phone(server: LiveServer, tmp_path: Path) -> None:
    shot = tmp_path / "cart-phone.png"
    with page_on(server.url, shot, viewport={"width": 375, "height": 740}) as page:
        page.goto("/r/pho-turenne")
        page.locator("li.dish", has_text="Nems (4)").locator("button.add").click()
        page.goto("/cart")
        expect(page.locator("#cart-lines li")).to_have_count(1)
        # Nothing sticks out to the right: the page is no wider than the phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375


def test_an_unknown_page_is_a_page_and_the_api_stays_json(page: Page, server: LiveServer) -> None:
    response = page.goto("/r/no-such-kitchen")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("This page is not on the menu")
    page.goto("/nowhere/at/all")
    expect(page.locator("h1")).to_have_text("This page is not on the menu")
    api = httpx.get(f"{server.url}/api/v1/nowhere", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"] == "not_found"


def test_a_paused_kitchen_says_paused_on_both_pages(page: Page, server: LiveServer) -> None:
    kitchen = server.headers("kitchen-pho-turenne@chaud.demo")
    paused = httpx.patch(
        f"{server.url}/api/v1/kitchen/restaurant", json={"paused": True}, headers=kitchen
    )
    assert paused.status_code == 200, paused.text
    page.goto("/")
    card = page.locator(".card", has_text="Phở Turenne")
    expect(card.locator(".state")).to_have_text("Paused: not taking orders right now")
    page.goto("/r/pho-turenne")
    expect(page.locator("p .state")).to_have_text("Paused: not taking orders right now")
    expect(page.locator("button.add")).to_have_count(0)


def test_a_guest_signs_up_keeps_the_street_and_the_notes_and_finds_the_order(
    page: Page, server: LiveServer
) -> None:
    page.goto("/r/comptoir-oberkampf")
    expect(page.locator(".description").first).to_be_visible()
    page.locator("li.dish", has_text="Croque-monsieur").locator("button.add").click()
    page.goto("/cart")
    page.locator("#cart-lines input.note").fill("no mustard please")
    page.locator("#cart-lines input.note").blur()
    page.fill("#street", "rue Ob")
    expect(page.locator("#street-options option").first).to_have_text("Rue Oberkampf")
    page.fill("#street", "Rue Oberkampf")
    page.fill("#house-number", "20")
    page.click("#quote-button")
    expect(page.locator("#quote-table")).to_contain_text("20 Rue Oberkampf")
    page.click("#order-button")  # a guest: sign in first
    page.wait_for_url("**/login?next=/cart")
    page.click("#signup-instead")
    page.fill("input[name=name]", "Noé Petit")
    page.fill("input[name=email]", "noe@example.org")
    page.fill("input[name=password]", "a long enough password")
    page.click("#signup-form button")
    page.wait_for_url("**/cart")
    # Back in the cart: the street, the door and the note are still there.
    expect(page.locator("#street")).to_have_value("Rue Oberkampf")
    expect(page.locator("#house-number")).to_have_value("20")
    expect(page.locator("#cart-lines input.note")).to_have_value("no mustard please")
    page.click("#quote-button")
    expect(page.locator("#quote-table")).to_contain_text("20 Rue Oberkampf")
    page.click("#order-button")
    page.wait_for_url("**/orders/*")
    order_id = int(page.url.rsplit("/", 1)[1])
    tickets = httpx.get(
        f"{server.url}/api/v1/kitchen/tickets",
        headers=server.headers("kitchen-comptoir-oberkampf@chaud.demo"),
    ).json()
    mine = next(t for t in tickets if t["order_id"] == order_id)
    assert mine["lines"][0]["note"] == "no mustard please"
    page.goto("/orders")
    expect(page.locator("#orders-table")).to_contain_text(f"#{order_id}")
    page.click("#login-link")
    expect(page.locator("#account-who")).to_contain_text("noe@example.org")
    page.uncheck("#mails-on")
    expect(page.locator("#preferences-saved")).to_be_visible()
    page.click("#sign-out-button")
    page.wait_for_url(server.url + "/")
    expect(page.locator("#login-link")).to_have_text("Sign in")


def test_a_french_browser_gets_french_pages_and_can_switch(
    server: LiveServer, tmp_path: Path
) -> None:
    with page_on(server.url, tmp_path / "fr.png", locale="fr-FR") as page:
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("h1")).to_have_text("Les cuisines de l'alliance")
        page.goto("/r/pho-turenne")
        page.locator("li.dish", has_text="Nems (4)").locator("button.add").click()
        page.goto("/cart")
        expect(page.locator("#quote-button")).to_have_text("Voir le prix")
        page.fill("#street", "Rue Oberkampf")
        page.click("#quote-button")
        # The script's words come from the same catalog as the page's.
        expect(page.locator("#problems")).to_contain_text("Choisissez où livrer")
        page.click("#lang-en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#quote-button")).to_have_text("Get a quote")
        page.goto("/")  # the choice stays
        expect(page.locator("h1")).to_have_text("The alliance's kitchens")
