"""Arrived and Done count near the stop: farther than the radius, the courier says why, and
the operator's board shows how far and why."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.clock import FixedClock
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_courier_api import bag_ready, planned_round


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"arrival_radius_m": 150.0})


def board_order(client: TestClient, operator: dict[str, str], order_id: int) -> dict[str, Any]:
    board = client.get("/api/v1/ops/board", headers=operator).json()
    return dict(next(o for o in board["orders"] if o["id"] == order_id))


def test_far_from_the_stop_the_courier_says_why_and_the_operator_sees_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, round_ = planned_round(client, session, settings, clock, geography)
    mine = alliance.courier(1)
    pickup, door = round_["stops"]
    bag_ready(client, alliance, order)
    at_the_kitchen = {"lat": pickup["lat"], "lon": pickup["lon"]}
    picked = client.post(
        f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine, json=at_the_kitchen
    )
    assert picked.status_code == 200, picked.text  # at the kitchen: no question asked

    # Still at the kitchen, 800 m from the door: refused, the field names what is missing.
    far = client.post(
        f"/api/v1/courier/stops/{door['id']}/arrived", headers=mine, json=at_the_kitchen
    )
    assert far.status_code == 422
    problem = far.json()["detail"][0]
    assert problem["field"] == "reason"
    assert "m from this stop (more than 150 m)" in problem["reason"]
    why = {**at_the_kitchen, "reason": "the customer met me at the corner"}
    done = client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine, json=why)
    assert done.status_code == 200, done.text

    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    row = board_order(client, operator, order["id"])
    [step] = row["off_site"]
    assert step["reason"] == "the customer met me at the corner"
    assert step["metres"] > 150
    alert = next(a for a in row["alerts"] if a["kind"] == "off_site")
    assert "the customer met me at the corner" in alert["text"]


def test_at_the_door_nothing_is_asked(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, round_ = planned_round(client, session, settings, clock, geography)
    mine = alliance.courier(1)
    pickup, door = round_["stops"]
    bag_ready(client, alliance, order)
    near = {"lat": pickup["lat"] + 0.0005, "lon": pickup["lon"]}  # 55 m away: near enough
    assert client.post(
        f"/api/v1/courier/stops/{pickup['id']}/done", headers=mine, json=near
    ).is_success
    # Without a position in the request, the last one the phone sent counts.
    client.post(
        "/api/v1/courier/position", headers=mine, json={"lat": door["lat"], "lon": door["lon"]}
    )
    assert (
        client.post(f"/api/v1/courier/stops/{door['id']}/arrived", headers=mine).status_code == 204
    )
    assert client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine).status_code == 200
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    board = client.get("/api/v1/ops/board", headers=operator).json()
    assert all(o["id"] != order["id"] for o in board["orders"])  # delivered, nothing to review
