"""The courier API's rules: own stops only, in order, bags only when ready, shifts."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import FixedClock
from api.models import LedgerEntry, LedgerKind
from api.services.couriers import PayRule
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.test_dispatcher import NEAR_BRETAGNE, NEAR_OBERKAMPF, Alliance, cycle
from tests.test_ops import courier_id

IN_THE_SEINE = {"lat": 48.8566, "lon": 2.3470}


def planned_round(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
    **destination: Any,
) -> tuple[Alliance, dict[str, Any], dict[str, Any]]:
    alliance = Alliance(client, session, settings, clock)
    alliance.start_shift(1, NEAR_OBERKAMPF)
    order = alliance.order(("comptoir-oberkampf", "Croque-monsieur", 1), key="k", **destination)
    cycle(session, geography, settings, clock)
    round_ = client.get("/api/v1/courier/round", headers=alliance.courier(1)).json()
    return alliance, order, round_


def bag_ready(client: TestClient, alliance: Alliance, order: dict[str, Any]) -> None:
    """The Comptoir cooks the order's one bag: it is ready for its courier."""
    kitchen = alliance.kitchen("comptoir-oberkampf")
    ticket = order["tickets"][0]["id"]
    for action in ("start", "ready"):
        answer = client.post(f"/api/v1/kitchen/tickets/{ticket}/{action}", headers=kitchen)
        assert answer.status_code == 200, answer.text


def test_another_couriers_stop_answers_404(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, _, round_ = planned_round(client, session, settings, clock, geography)
    stop_id = round_["next_stop_id"]
    other = alliance.courier(2)
    for action in ("arrived", "done"):
        r = client.post(f"/api/v1/courier/stops/{stop_id}/{action}", headers=other)
        assert r.status_code == 404, r.text
    assert client.get("/api/v1/courier/round", headers=other).json()["stops"] == []


def test_stops_are_done_in_order_and_bags_only_when_ready(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, round_ = planned_round(client, session, settings, clock, geography)
    mine = alliance.courier(1)
    pickup, door = round_["stops"]
    assert (pickup["kind"], door["kind"]) == ("pickup", "dropoff")
    r = client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine)
    assert r.status_code == 409
    assert r.json()["detail"]["next_stop_id"] == pickup["id"]
    r = client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine)
    assert r.status_code == 409
    assert r.json()["detail"]["current_status"] == "accepted"  # auto-accepted, not yet ready
    bag_ready(client, alliance, order)
    assert (
        client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine).status_code == 200
    )
    r = client.post("/api/v1/courier/shift/end", headers=mine)
    assert r.status_code == 409
    assert r.json()["detail"]["current_status"] == "carrying"
    assert client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine).status_code == 200
    assert client.post("/api/v1/courier/shift/end", headers=mine).status_code == 200
    [shift] = client.get("/api/v1/courier/shifts", headers=mine).json()
    assert (shift["pickups"], shift["deliveries"], shift["off_site_steps"]) == (1, 1, 0)
    # The clock stood still: no minute worked, one delivery at its rate.
    assert (shift["minutes"], shift["earned_cents"]) == (0, settings.courier_pay_drop_cents)
    # The shift's pay is owed to the courier in the journal, by the alliance.
    paid = session.exec(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.COURIER_PAY)).all()
    assert {(e.account, e.credit_cents - e.debit_cents) for e in paid} == {
        (f"courier:{courier_id(session, 1)}", settings.courier_pay_drop_cents),
        ("alliance:courier_pay", -settings.courier_pay_drop_cents),
    }
    assert shift["ended_at"] is not None


def test_shift_rules(
    client: TestClient, session: Session, settings: Settings, clock: FixedClock
) -> None:
    alliance = Alliance(client, session, settings, clock)
    mine = alliance.courier(3)
    assert (
        client.post("/api/v1/courier/position", json=NEAR_BRETAGNE, headers=mine).status_code == 409
    )
    r = client.post("/api/v1/courier/shift/start", json=IN_THE_SEINE, headers=mine)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "lat"
    alliance.start_shift(3, NEAR_BRETAGNE)
    again = client.post("/api/v1/courier/shift/start", json=NEAR_BRETAGNE, headers=mine)
    assert again.status_code == 409
    assert (
        client.post("/api/v1/courier/position", json=NEAR_OBERKAMPF, headers=mine).status_code
        == 204
    )
    ended = client.post("/api/v1/courier/shift/end", headers=mine)
    assert ended.status_code == 200
    assert ended.json()["on_shift"] is False


def test_a_shift_pays_its_deliveries_never_less_than_its_guaranteed_hours() -> None:
    pay = PayRule(hour_cents=1190, drop_cents=450)
    assert pay.earned(60, 0) == 1190, "a quiet hour: the guarantee"
    assert pay.earned(90, 3) == 1785, "three orders in 90 min earn less than the guarantee"
    assert pay.earned(60, 4) == 1800, "four orders in an hour earn more"
    assert pay.earned(1, 0) == 19  # 19.83 cents a minute, rounded down: never paid twice
