"""The courier API's rules: own stops only, in order, bags only when ready, relay codes."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.models import OutboxEvent
from api.services.outbox import OPERATOR_CHANNELS
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_dispatcher import NEAR_BRETAGNE, NEAR_OBERKAMPF, Alliance, cycle

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
    ticket = order["tickets"][0]["id"]
    kitchen = alliance.kitchen("comptoir-oberkampf")
    client.post(f"/api/v1/kitchen/tickets/{ticket}/start", headers=kitchen)
    client.post(f"/api/v1/kitchen/tickets/{ticket}/ready", headers=kitchen)
    assert (
        client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine).status_code == 200
    )
    r = client.post("/api/v1/courier/shift/end", headers=mine)
    assert r.status_code == 409
    assert r.json()["detail"]["current_status"] == "carrying"
    assert client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine).status_code == 200
    assert client.post("/api/v1/courier/shift/end", headers=mine).status_code == 200


def at_the_relay_door(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> tuple[Alliance, dict[str, Any], str]:
    """A relay order whose bag courier 1 has collected: the alliance, the order, and the URL
    that finishes its drop-off at the shop."""
    relays = client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if "Voltaire" in r["name"])
    alliance, order, round_ = planned_round(
        client, session, settings, clock, geography, destination={"relay_point_id": voltaire["id"]}
    )
    pickup, door = round_["stops"]
    ticket = order["tickets"][0]["id"]
    kitchen = alliance.kitchen("comptoir-oberkampf")
    client.post(f"/api/v1/kitchen/tickets/{ticket}/start", headers=kitchen)
    client.post(f"/api/v1/kitchen/tickets/{ticket}/ready", headers=kitchen)
    client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=alliance.courier(1))
    return alliance, order, f"/api/v1/courier/stops/{door['id']}/done"


def test_a_relay_drop_off_needs_the_orders_code(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, url = at_the_relay_door(client, session, settings, clock, geography)
    mine = alliance.courier(1)
    missing = client.post(url, headers=mine)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "code"
    wrong = client.post(url, headers=mine, json={"code": "000000x"})
    assert wrong.status_code == 422
    code = client.get(f"/api/v1/orders/{order['id']}", headers=alliance.customer).json()[
        "relay_code"
    ]
    assert client.post(url, headers=mine, json={"code": code}).status_code == 200


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


def test_a_relay_drop_off_locks_after_five_wrong_codes_and_tells_the_operator(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, url = at_the_relay_door(client, session, settings, clock, geography)
    mine = alliance.courier(1)
    code = client.get(f"/api/v1/orders/{order['id']}", headers=alliance.customer).json()[
        "relay_code"
    ]
    wrong = "999999" if code != "999999" else "111111"
    answers = [client.post(url, headers=mine, json={"code": wrong}) for _ in range(6)]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 409, 409]
    assert "1 tries left" in answers[3].json()["detail"][0]["reason"]
    assert answers[4].json()["detail"]["current_status"] == "code_locked"
    # Locked: even the right code waits for the operator now.
    right = client.post(url, headers=mine, json={"code": code})
    assert right.status_code == 409
    told = session.exec(
        select(OutboxEvent).where(col(OutboxEvent.channel).in_(OPERATOR_CHANNELS))
    ).all()
    relay = [(e.kind, e.payload["order_id"]) for e in told if e.kind.startswith("relay.")]
    assert relay == [("relay.code_locked", order["id"])]
    # The operator checks with the shop and gives the tries back; the right code then works.
    stop_id = int(url.split("/")[-2])
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    unlock = f"/api/v1/ops/stops/{stop_id}/unlock-code"
    assert client.post(unlock, headers=mine).status_code == 403
    assert client.post(unlock, headers=operator).json()["code_attempts"] == 0
    assert client.post(url, headers=mine, json={"code": code}).status_code == 200
    assert client.post(unlock, headers=operator).status_code == 404  # delivered: nothing open
