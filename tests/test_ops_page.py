"""The operator's board in headless Chromium: sign in, see an order on the board and the map,
get the "not accepted" alert, pin the order to a courier, move that courier's stops to
another, and see the change on that courier's own page."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.models import Courier, User
from dispatch.geo.geography import Geography
from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server
from tests.test_courier_page import dispatch_once
from tests.test_kitchen_ws import place_order

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).parent.parent / "var" / "screenshots"


@pytest.fixture
def server(tmp_path: Path, graph_cache: Path) -> Iterator[LiveServer]:
    with live_server("sqlite", tmp_path, graph_cache, FixedClock(FRIDAY_EVENING), (1, 2)) as live:
        yield live


def courier_ids(server: LiveServer) -> dict[str, int]:
    board = httpx.get(
        f"{server.url}/api/v1/ops/board", headers=server.headers("operator@chaud.demo")
    ).json()
    return {c["name"]: c["id"] for c in board["couriers"]}


def step(page: Page, row: str, action: str, fields: dict[str, Any]) -> None:
    """Click a row's action, fill the dialog, confirm; the dialog closes once it is done."""
    page.locator(row).get_by_role("button", name=action).click()
    dialog = page.locator("#step-dialog")
    expect(dialog).to_be_visible()
    if "courier" in fields:
        dialog.locator("#step-courier").select_option(str(fields["courier"]))
    if fields.get("pin"):
        dialog.locator("#step-pin").check()
    dialog.locator("#step-reason").fill(fields["reason"])
    dialog.locator("#step-submit").click()
    expect(dialog).to_be_hidden()


def test_the_operator_runs_the_evening_from_the_board(
    server: LiveServer, geography: Geography, tmp_path: Path, graph_cache: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with page_on(
        server.url, SCREENSHOTS / "ops-board.png", viewport={"width": 1400, "height": 900}
    ) as page:
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        # The browser's clock is four minutes past the order: its ticket is overdue.
        page.clock.set_fixed_time(FRIDAY_EVENING + timedelta(minutes=4))
        page.goto("/login")
        page.fill("input[name=username]", "operator@chaud.demo")
        page.fill("input[name=password]", "chaud-demo")
        page.click("form button")
        page.wait_for_url("**/ops")  # the operator's home is the board
        expect(page.locator("body")).to_have_attribute("data-map", "ready")
        expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
        expect(page.locator("#live-state")).to_have_text("live")
        expect(page.locator("#pool-load")).to_contain_text("the couriers keep up")

        order = place_order(server, "Nems (4)")  # Phở Turenne accepts by hand
        row = f"#order-{order['id']}"
        expect(page.locator(row)).to_have_attribute("data-state", "waiting_for_kitchen")
        expect(page.locator("#pool-load")).to_contain_text("open orders: 1")
        alert = page.locator(f"#alert-list li[data-subject='order:{order['id']}']")
        expect(alert.and_(page.locator("[data-kind=not_accepted]"))).to_be_visible()
        expect(page.locator("#alert-badge")).not_to_have_text("0")
        expect(page.locator(".leaflet-overlay-pane canvas")).to_be_attached()
        page.screenshot(path=str(SCREENSHOTS / "ops-alert.png"))

        ids = courier_ids(server)
        first, second = sorted(ids.values())
        step(page, row, "Assign", {"courier": second, "pin": True, "reason": "knows the door"})
        second_name = next(name for name, i in ids.items() if i == second)
        expect(page.locator(f"{row} .courier")).to_have_text(f"courier: {second_name} (pinned)")
        dispatch_once(server, geography, tmp_path, graph_cache)  # the pin holds
        expect(page.locator(f"#courier-{second} .next")).to_contain_text(f"#{order['id']}")

        step(page, f"#courier-{second}", "Move stops", {"courier": first, "reason": "flat tyre"})
        first_name = next(name for name, i in ids.items() if i == first)
        expect(page.locator(f"{row} .courier")).to_have_text(f"courier: {first_name} (pinned)")
        expect(page.locator(f"#courier-{first} .next")).to_contain_text(f"#{order['id']}")
        page.screenshot(path=str(SCREENSHOTS / "ops-moved.png"))

        page.click("text=Reports")
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        expect(page.locator("#summary")).to_contain_text("1 orders, 0 delivered")
        expect(page.locator("#orders-chart rect.bar")).to_have_count(1)
        expect(page.locator("#kitchen-table")).to_contain_text("Phở Turenne")
        page.screenshot(path=str(SCREENSHOTS / "ops-reports.png"), full_page=True)
        page.goto("/ops/audit")  # every step above, with its reason
        expect(page.locator("#audit-rows")).to_contain_text("flat tyre")
        assert violations == []  # the map and charts draw under the Content-Security-Policy

    with page_on(server.url, SCREENSHOTS / "ops-courier.png") as courier_page:
        courier_page.goto("/login?next=/courier")
        courier_page.fill("input[name=username]", email_of(server, first))
        courier_page.fill("input[name=password]", "chaud-demo")
        courier_page.click("form button")
        stops = courier_page.locator("#round-stops li")
        expect(stops).to_have_count(2)
        expect(stops.nth(1)).to_contain_text(f"order #{order['id']}")


def email_of(server: LiveServer, courier_id: int) -> str:
    with Session(server.engine) as session:
        return session.exec(
            select(User.email)
            .join(Courier, col(Courier.user_id) == col(User.id))
            .where(Courier.id == courier_id)
        ).one()
