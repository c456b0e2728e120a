"""Money in the browser: the operator shows and downloads a kitchen's statement on the reports
page; the kitchen's screen shows it the same figures."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from api.models import Order
from api.services.orders import mark_delivered
from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer
from tests.test_kitchen_ws import place_order

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).parent.parent / "var" / "screenshots"


def _hand_over(server: LiveServer, order_id: int) -> None:
    """As the courier's last stop does, on the server's database."""
    with Session(server.engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        mark_delivered(session, order, server.clock.now())
        session.commit()


def _sign_in(page_url: str, email: str, page: Page) -> None:
    page.clock.set_fixed_time(FRIDAY_EVENING)
    page.goto(page_url)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")


def test_the_operator_downloads_a_kitchens_statement_and_the_kitchen_sees_the_same(
    sqlite_server: LiveServer,
) -> None:
    server = sqlite_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    orders = [place_order(server, "Nems (4)") for _ in range(2)]
    for order in orders:
        _hand_over(server, order["id"])

    with page_on(
        server.url, SCREENSHOTS / "ops-statement.png", viewport={"width": 1280, "height": 900}
    ) as page:
        _sign_in("/login?next=/ops/reports", "operator@chaud.demo", page)
        page.wait_for_url("**/ops/reports")
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        page.locator("#statement-kitchen").select_option(label="Phở Turenne")
        page.get_by_role("button", name="Show the statement").click()
        table = page.locator("#statement-table")
        for order in orders:
            expect(table).to_contain_text(f"#{order['id']}")
        expect(table.locator("tr.total")).to_be_visible()
        operator_sees = table.inner_text()
        table.scroll_into_view_if_needed()
        with page.expect_download() as download:
            page.get_by_role("button", name="Statement as CSV").click()
        csv_rows = Path(download.value.path()).read_text().strip().splitlines()
        assert csv_rows[0].startswith("order_id,label,at,gross_cents")
        assert [row.split(",")[0] for row in csv_rows[1:]] == [
            *(str(o["id"]) for o in orders),
            "total",
        ]

    with page_on(
        server.url, SCREENSHOTS / "kitchen-statement.png", viewport={"width": 1280, "height": 800}
    ) as page:
        _sign_in("/login?next=/kitchen", "kitchen-pho-turenne@chaud.demo", page)
        expect(page.locator("#station-filter")).to_be_visible()
        page.click("#statement-button")
        table = page.locator("#statement-table")
        expect(table.locator("tr.total")).to_be_visible()
        assert table.inner_text() == operator_sees, "the kitchen reads the operator's figures"


def test_the_operator_refunds_an_order_at_a_kitchens_cost(sqlite_server: LiveServer) -> None:
    """Looked up by its number, refunded 2,50 € at Phở Turenne's cost: the page names the credit
    note; a second refund above what is left is refused naming the amount."""
    server = sqlite_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    order = place_order(server, "Nems (4)")
    _hand_over(server, order["id"])

    with page_on(
        server.url, SCREENSHOTS / "ops-refund.png", viewport={"width": 1280, "height": 1400}
    ) as page:
        _sign_in("/login?next=/ops/reports", "operator@chaud.demo", page)
        page.wait_for_url("**/ops/reports")
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        page.fill("#refund-order", str(order["id"]))
        page.get_by_role("button", name="Look it up").click()
        receipt = page.locator("#refund-receipt")
        expect(receipt).to_contain_text(f"Order #{order['id']}, delivered")
        expect(receipt).to_contain_text("Phở Turenne")
        page.fill("#refund-amount", "2.50")
        page.locator("#refund-kitchen").select_option(label="Phở Turenne")
        page.fill("#refund-reason", "nems arrived cold")
        page.get_by_role("button", name="Refund", exact=True).click()
        expect(page.locator("#refund-done")).to_have_text(
            "Refunded 2,50 €, charged to Phở Turenne: credit note no. 1"
        )
        expect(receipt).to_contain_text("Credit note no. 1: 2,50 € back (nems arrived cold)")
        page.locator("#refund-fault").select_option("alliance")
        expect(page.locator("#refund-kitchen-field")).to_be_hidden()
        page.fill("#refund-amount", "999")
        page.get_by_role("button", name="Refund", exact=True).click()
        expect(page.locator("#refund-problems")).to_have_text(
            "Amount (€): at most 15,40 € is left to refund"
        )
        expect(page.locator("#refund-done")).to_be_empty()
        page.locator("#refund-problems").scroll_into_view_if_needed()
