"""What a hostile link can do to a signed-in page: nothing. Headless Chromium, a real server.

- `/login?next=` leads only to a path of this site: no script, no other site.
- Every page runs under a Content-Security-Policy without inline script and breaks none of it;
  the API documentation works offline, from the bundled Swagger UI.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, Page, expect

from api.clock import FixedClock
from tests.browser import page_on
from tests.databases import FRIDAY_EVENING
from tests.live import LiveServer, live_server

pytestmark = pytest.mark.slow


@pytest.fixture
def page(sqlite_server: LiveServer, tmp_path: Path) -> Iterator[Page]:
    with page_on(sqlite_server.url, tmp_path / "last-page.png") as page:
        yield page


def sign_in(page: Page, next_value: str) -> None:
    page.goto("/login?next=" + next_value.replace("&", "%26"))
    page.fill("input[name=username]", "customer@chaud.demo")
    page.fill("input[name=password]", "chaud-demo")
    page.click("form button")


@pytest.mark.parametrize(
    "hostile",
    [
        "javascript:window.__stolen=localStorage.getItem('chaud.token')",
        "JavaScript:window.__stolen=1",
        "https://elsewhere.example/",
        "//elsewhere.example/",
        "/\\elsewhere.example/",
        "data:text/html,<script>alert(1)</script>",
        "/.//elsewhere.example/",
        "/..//elsewhere.example/",
    ],
)
def test_a_hostile_next_after_sign_in_lands_home_and_runs_nothing(
    page: Page, sqlite_server: LiveServer, hostile: str
) -> None:
    sign_in(page, hostile)
    page.wait_for_url(lambda url: "/login" not in url, timeout=15_000)
    assert page.url.startswith(sqlite_server.url + "/")
    assert "elsewhere" not in page.url.split("//", 1)[1].split("/", 1)[0]
    assert page.evaluate("window.__stolen") is None


def test_a_path_of_the_site_as_next_is_followed(page: Page, sqlite_server: LiveServer) -> None:
    sign_in(page, "/cart?from=login")
    page.wait_for_url(sqlite_server.url + "/cart?from=login")
    assert page.url == sqlite_server.url + "/cart?from=login"


def test_every_page_keeps_the_content_security_policy_and_the_docs_work_offline(
    page: Page, tmp_path: Path
) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    for path in ("/", "/r/pho-turenne", "/login", "/cart", "/courier", "/kitchen", "/ops/audit"):
        response = page.goto(path)
        assert response is not None, path
        assert response.ok, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    page.goto("/docs")
    # Swagger UI drew the operations from /openapi.json: it loaded, offline, and ran.
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/orders").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "docs.png"))
    assert violations == []


@pytest.mark.parametrize(
    "path", ["/", "/login", "/docs", "/api/v1/restaurants", "/api/v1/orders/1", "/static/app.js"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_docs_page_loads_nothing_from_another_site(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "http://" not in page
    assert "https://" not in page
    assert "<script>" not in page
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def sign_in_codes(server: LiveServer, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(base_url=server.url) as client:
        return [
            client.post(
                "/api/v1/auth/token",
                data={"username": f"guess{n}@example.org", "password": "guess"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(forwarded_for)
        ]


def test_a_forged_forwarded_for_does_not_escape_the_limit(sqlite_server: LiveServer) -> None:
    rotating = [f"203.0.113.{n}" for n in range(12)]
    assert sign_in_codes(sqlite_server, rotating) == [401] * 10 + [429] * 2


def test_a_trusted_proxy_names_the_client(tmp_path: Path, graph_cache: Path) -> None:
    with live_server(
        "sqlite",
        tmp_path,
        graph_cache,
        FixedClock(FRIDAY_EVENING),
        trusted_proxies="127.0.0.1",
        login_attempts_per_minute=2,
    ) as server:
        # Behind our own proxy, each client counts on its own.
        assert sign_in_codes(server, ["203.0.113.1"] * 3) == [401, 401, 429]
        assert sign_in_codes(server, ["203.0.113.2"]) == [401]
