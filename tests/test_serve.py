"""`chaud serve --demo` on a fresh data folder: the README's first command, end to end."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import drop_database, new_database
from tests.live import free_port
from tests.test_seed import _inside_extract

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_server(backend: str, tmp_path: Path) -> Iterator[str]:
    database_url = new_database(backend, tmp_path)
    port = free_port()
    env = {**os.environ, "CHAUD_DATA_DIR": str(tmp_path), "CHAUD_DATABASE_URL": database_url}
    chaud = Path(sys.executable).with_name("chaud")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(chaud), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"chaud serve exited: {(tmp_path / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chaud serve never answered: {(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        drop_database(backend, database_url)


def test_demo_serves_health_docs_and_the_alliance(demo_server: str) -> None:
    assert httpx.get(f"{demo_server}/healthz").status_code == 200
    assert httpx.get(f"{demo_server}/readyz").status_code == 200
    assert httpx.get(f"{demo_server}/docs").status_code == 200
    restaurants = httpx.get(f"{demo_server}/api/v1/restaurants").json()
    assert len(restaurants) >= 8
    assert all(_inside_extract(r["lat"], r["lon"]) for r in restaurants)
