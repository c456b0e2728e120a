"""The courier page in headless Chromium: start a shift, see the round appear live on the
list and the street map, then arrive, pick up and deliver with its buttons."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from api.clock import FixedClock
from api.dispatcher.cycle import rules_from, run_cycle
from api.settings import load_settings
from dispatch.geo.geography import Geography
from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_dispatcher import NEAR_OBERKAMPF, until_written

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    """No courier on shift but the one the test signs in: the round is hers."""
    with live_server("sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING), ()) as live:
        yield live


@pytest.fixture
def page(server: LiveServer, tmp_path: Path) -> Iterator[Page]:
    with page_on(
        server.url,
        tmp_path / "last-page.png",
        viewport={"width": 390, "height": 844},  # a phone
        geolocation={"latitude": NEAR_OBERKAMPF["lat"], "longitude": NEAR_OBERKAMPF["lon"]},
        permissions=["geolocation"],
    ) as page:
        yield page


def place_order(server: LiveServer) -> dict[str, Any]:
    dishes = httpx.get(f"{server.url}/api/v1/dishes", params={"q": "Croque-monsieur"}).json()
    body = {
        "lines": [{"dish_id": dishes[0]["id"], "quantity": 1}],
        "destination": {"lat": 48.863202, "lon": 2.362940, "address": "Rue Charlot"},
    }
    response = httpx.post(
        f"{server.url}/api/v1/orders",
        json=body,
        headers={**server.headers("customer@chaud.demo"), "Idempotency-Key": "page"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def dispatch_once(server: LiveServer, geography: Geography, tmp_path: Path, cache: Path) -> None:
    settings = load_settings(
        database_url=str(server.engine.url), data_dir=tmp_path, cache_dir=cache
    )
    with Session(server.engine) as read, Session(server.engine) as write:
        until_written(
            lambda: run_cycle(read, write, geography, rules_from(settings), FRIDAY_EVENING)
        )


def test_a_courier_rides_a_round_from_the_page(
    page: Page, server: LiveServer, geography: Geography, tmp_path: Path, graph_cache: Path
) -> None:
    # The browser lives on the server's Friday evening too: the "Leave at" hint compares the
    # stop's set-off time with the browser's clock.
    page.clock.set_fixed_time(FRIDAY_EVENING)
    page.goto("/login?next=/courier")
    page.fill("input[name=username]", "courier-1@chaud.demo")
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")
    expect(page.locator("h1")).to_have_text("My round")
    page.click("#shift-start")
    expect(page.locator("#shift-state")).to_have_text("On shift")
    expect(page.locator("#round-empty")).to_be_visible()

    order = place_order(server)
    dispatch_once(server, geography, tmp_path, graph_cache)
    # The page follows the plan by itself: no reload.
    stops = page.locator("#round-stops li")
    expect(stops).to_have_count(2)
    expect(stops.nth(0)).to_have_class("stop pickup next")
    expect(stops.nth(0)).to_contain_text("Le Comptoir d'Oberkampf")
    # The kitchen has not started: the courier is told when to set off, not to go at once.
    expect(stops.nth(0).locator(".leave-at")).to_have_text(re.compile(r"^Leave at \d\d:\d\d$"))
    page.screenshot(path=str(tmp_path / "leave-at.png"))
    expect(page.locator("#round-map path.leg.next")).to_be_attached()
    expect(page.locator("#round-map path.stop.pickup.next")).to_be_attached()
    expect(page.locator("#round-map path.you")).to_be_attached()
    expect(page.locator("#round-map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    expect(page.locator("li.next a.navigate")).to_have_attribute("href", re.compile(r"^geo:48\.8"))
    # The customer's header is not the courier's: no cart here.
    expect(page.locator("#cart-link")).to_have_count(0)
    # A reload keeps the shift and the round (the page asks, it does not assume).
    page.reload()
    expect(page.locator("#shift-state")).to_have_text("On shift")
    expect(stops).to_have_count(2)

    kitchen = server.headers("kitchen-comptoir-oberkampf@chaud.demo")
    ticket = order["tickets"][0]["id"]
    for action in ("start", "ready"):
        r = httpx.post(f"{server.url}/api/v1/kitchen/tickets/{ticket}/{action}", headers=kitchen)
        assert r.status_code == 200, r.text

    page.click("li.next button.arrived")
    page.click("li.next button.done")
    expect(stops.nth(1)).to_have_class("stop dropoff next")
    page.click("li.next button.done")
    expect(page.locator("#round-empty")).to_be_visible()
    status = httpx.get(
        f"{server.url}/api/v1/orders/{order['id']}", headers=server.headers("customer@chaud.demo")
    ).json()["status"]
    assert status == "delivered"

    # The shift ends: its pay is journalled and the courier's earnings show it, with the total.
    page.click("#shift-end")
    expect(page.locator("#shift-state")).to_have_text("Off shift")
    page.get_by_role("button", name="Show the statement").click()
    earnings = page.locator("#statement-table")
    expect(earnings).to_contain_text("deliveries: 1")
    euros = re.compile("€$")
    heads: list[str | re.Pattern[str]] = ["What", "When", "Earned", "Refunds", "Net", "Total", ""]
    heads += [euros, euros, euros]
    expect(earnings.locator("th")).to_have_text(heads)
    expect(earnings.locator("tr.total")).to_be_visible()
    earnings.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "courier-earnings.png"))


def test_far_from_the_door_the_page_asks_why(
    tmp_path: Path, graph_cache: Path, geography: Geography
) -> None:
    with live_server(
        "sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING), (), arrival_radius_m=150.0
    ) as server:
        order_placed = {}
        with page_on(
            server.url,
            tmp_path / "far.png",
            viewport={"width": 390, "height": 844},
            geolocation={"latitude": NEAR_OBERKAMPF["lat"], "longitude": NEAR_OBERKAMPF["lon"]},
            permissions=["geolocation"],
        ) as page:
            page.clock.set_fixed_time(FRIDAY_EVENING)
            page.goto("/login?next=/courier")
            page.fill("input[name=username]", "courier-1@chaud.demo")
            page.fill("input[name=password]", "chaud-demo")
            page.click("form button")
            page.click("#shift-start")
            expect(page.locator("#shift-state")).to_have_text("On shift")
            order_placed = place_order(server)
            dispatch_once(server, geography, tmp_path, graph_cache)
            api = server.url + "/api/v1"
            kitchen = server.headers("kitchen-comptoir-oberkampf@chaud.demo")
            ticket = order_placed["tickets"][0]["id"]
            for action in ("start", "ready"):
                httpx.post(f"{api}/kitchen/tickets/{ticket}/{action}", headers=kitchen)
            mine = server.headers("courier-1@chaud.demo")
            pickup = httpx.get(f"{api}/courier/round", headers=mine).json()["stops"][0]
            # The phone goes to the kitchen, and stays there: the door is 800 m away.
            page.context.set_geolocation({"latitude": pickup["lat"], "longitude": pickup["lon"]})
            page.click("li.next button.done")
            expect(page.locator("li.next.dropoff")).to_be_visible()
            page.click("li.next button.done")
            expect(page.locator("#problems form.why")).to_contain_text("Why here?")
            page.fill("#problems input[name=reason]", "the customer met me at the kitchen")
            page.click("#problems button.send-why")
            expect(page.locator("#round-empty")).to_be_visible()
            history = page.locator("#shift-history tbody tr").first
            expect(history).to_contain_text("(on)")
            expect(history.locator("td").nth(3)).to_have_text("1")  # one delivery
            expect(history.locator("td").nth(4)).to_have_text("1")  # done off site, with why
            page.screenshot(path=str(tmp_path / "asked-why.png"), full_page=True)
        status = httpx.get(
            f"{server.url}/api/v1/orders/{order_placed['id']}",
            headers=server.headers("customer@chaud.demo"),
        ).json()["status"]
        assert status == "delivered"
