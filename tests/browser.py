"""Headless Chromium for end-to-end tests: Debian's build, driven by Playwright."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The machine has no Internet: without these, Chromium keeps trying to reach Google.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            "browser tests need Debian's chromium: apt-get install chromium (scripts/test does)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def page_on(base_url: str, screenshot: Path, **context_options: Any) -> Iterator[Page]:
    """A page of a fresh browser context in Paris, in English (the French pages have their own
    test); its last state is saved on exit."""
    with chromium() as browser:
        context = browser.new_context(
            base_url=base_url,
            **{"locale": "en-GB", "timezone_id": "Europe/Paris", **context_options},
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            context.close()
