"""The operator's report from real data, with the simulator's KPI definitions."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_dispatcher import NEAR_OBERKAMPF, Alliance, cycle

NEMS = ("pho-turenne", "Nems (4)", 1)
GALETTE = ("creperie-bretagne", "Galette complète", 1)


def deliver_everything(
    alliance: Alliance, session: Session, geography: Geography, settings: Settings
) -> None:
    """Cycle, and ride every round's next stop four minutes apart, until none is left."""
    client, clock = alliance.client, alliance.clock
    for _ in range(20):
        cycle(session, geography, settings, clock)
        round_ = client.get("/api/v1/courier/round", headers=alliance.courier(1)).json()
        if round_["next_stop_id"] is None:
            return
        clock.moment += timedelta(minutes=4)
        stop = round_["next_stop_id"]
        headers = alliance.courier(1)
        assert client.post(f"/api/v1/courier/stops/{stop}/arrived", headers=headers).is_success
        assert client.post(f"/api/v1/courier/stops/{stop}/done", headers=headers).is_success


def test_an_evening_in_the_report_and_its_csv(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    nems = alliance.order(NEMS, key="nems")
    crepes = alliance.order(GALETTE, key="crepes")
    kitchen = alliance.kitchen("pho-turenne")
    ticket = nems["tickets"][0]["id"]
    for action in ("accept", "start", "ready"):
        clock.moment += timedelta(minutes=1)
        assert client.post(f"/api/v1/kitchen/tickets/{ticket}/{action}", headers=kitchen).is_success
    refused = client.post(
        f"/api/v1/kitchen/tickets/{crepes['tickets'][0]['id']}/refuse",
        json={"reason": "out of batter"},
        headers=alliance.kitchen("creperie-bretagne"),
    )
    assert refused.is_success
    deliver_everything(alliance, session, geography, settings)

    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    day = clock.now().date().isoformat()
    report = client.get(f"/api/v1/ops/reports?start={day}", headers=operator).json()
    assert (report["orders"], report["delivered"], report["cancelled"]) == (2, 1, 1)
    delivered = client.get(f"/api/v1/orders/{nems['id']}", headers=alliance.customer).json()
    assert report["revenue_cents"] == delivered["total_cents"]
    assert report["kpis"]["ctd_mean"] is not None
    assert report["kpis"]["r2d_p90"] is not None
    pho = next(k for k in report["kitchens"] if k["name"] == "Phở Turenne")
    assert pho["accept_minutes_mean"] == 1.0
    assert pho["prep_minutes_mean"] == 1.0
    cancelled = next(t for t in report["troubles"] if t["kind"] == "cancelled")
    assert cancelled["order_id"] == crepes["id"]
    assert "out of batter" in cancelled["cause"]
    amina = next(c for c in report["couriers"] if c["delivered"])
    assert amina["delivered"] == 1
    assert amina["shift_hours"] > 0
    assert 0 < amina["utilisation"] <= 1

    csv = client.get(f"/api/v1/ops/reports/orders.csv?start={day}", headers=operator)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("order_id,status,placed_at")
    assert {line.split(",")[1] for line in lines[1:]} == {"delivered", "cancelled"}

    backwards = client.get(f"/api/v1/ops/reports?start={day}&end=2020-01-01", headers=operator)
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["field"] == "end"
