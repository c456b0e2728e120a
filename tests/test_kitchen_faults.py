"""Two API workers on PostgreSQL, screens spread over both, orders flowing; one worker is
killed mid-stream and restarted. Every committed ticket must reach every screen of its
restaurant exactly once: none lost, none twice."""

import pytest

from benchmarks import kitchen
from tests.databases import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.slow

# Several workers only share events through PostgreSQL (the embedded SQLite default is one
# process); in CI CHAUD_TEST_DATABASE_URL is always set, so this always runs there.
POSTGRES = [POSTGRES_ADMIN_URL] if POSTGRES_ADMIN_URL else []


@pytest.mark.parametrize("postgres_url", POSTGRES)
def test_killing_a_worker_loses_and_repeats_nothing(postgres_url: str) -> None:
    report = kitchen.run(
        postgres_url, screens=30, workers=2, rate=6, seconds=10, kill_at=3, restart_at=5
    )
    assert report["killed_worker"] is True
    assert report["tickets"] > 20, report
    assert report["connections"] > 30, "the killed worker's screens reconnected"
    assert report["lost"] == 0
    assert report["duplicated"] == 0
