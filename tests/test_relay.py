"""The relay shop end to end through the API: the courier hands the parcel over, the shop
confirms (the order is ``at_relay``, the customer told), the customer's code typed by the shop
hands it over (``collected``); five wrong codes lock it until the operator unlocks it."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import FixedClock
from api.models import Mail, MailKind, OutboxEvent
from api.services.outbox import OPERATOR_CHANNELS
from api.settings import Settings
from dispatch.geo.geography import Geography
from tests.accounts import headers_for
from tests.test_courier_api import bag_ready, planned_round
from tests.test_dispatcher import Alliance

VOLTAIRE = "relay-tabac-voltaire@chaud.demo"


def on_the_way_to_the_shop(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> tuple[Alliance, dict[str, Any], dict[str, Any]]:
    """A relay order whose bag courier 1 has collected: the alliance, the order, its door stop."""
    relays = client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if "Voltaire" in r["name"])
    alliance, order, round_ = planned_round(
        client, session, settings, clock, geography, destination={"relay_point_id": voltaire["id"]}
    )
    pickup, door = round_["stops"]
    assert door["shop_confirms"] is True
    bag_ready(client, alliance, order)
    assert client.post(f"/api/v1/courier/stops/{pickup['id']}/done", headers=alliance.courier(1))
    return alliance, order, door


def customer_sees(client: TestClient, alliance: Alliance, order: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/orders/{order['id']}", headers=alliance.customer).json())


def test_a_parcel_goes_from_courier_to_shop_to_customer(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, door = on_the_way_to_the_shop(client, session, settings, clock, geography)
    shop = headers_for(session, settings, clock, VOLTAIRE)
    parcels = client.get("/api/v1/relay/parcels", headers=shop).json()
    assert [(p["order_id"], p["status"], p["bags"]) for p in parcels] == [
        (order["id"], "out_for_delivery", 1)
    ]
    assert parcels[0]["courier_name"]
    # The courier cannot say the shop has it: the drop-off waits for the shop.
    mine = alliance.courier(1)
    waiting = client.post(f"/api/v1/courier/stops/{door['id']}/done", headers=mine)
    assert waiting.status_code == 409
    assert waiting.json()["detail"]["current_status"] == "awaiting_shop"
    assert client.get("/api/v1/relay/parcels", headers=shop).json()[0]["courier_arrived"] is True

    received = client.post(f"/api/v1/relay/parcels/{order['id']}/received", headers=shop)
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "at_relay"
    seen = customer_sees(client, alliance, order)
    assert seen["status"] == "at_relay"
    assert "Ready at Le Voltaire" in seen["timeline"][-1]["note"]
    assert seen["destination"]["relay_hours"] == "06:30–22:00"
    # The courier's round moved on: the drop-off is done.
    assert client.get("/api/v1/courier/round", headers=mine).json()["next_stop_id"] is None
    again = client.post(f"/api/v1/relay/parcels/{order['id']}/received", headers=shop)
    assert again.status_code == 409

    url = f"/api/v1/relay/parcels/{order['id']}/collected"
    code = seen["relay_code"]
    wrong = "999999" if code != "999999" else "111111"
    refused = client.post(url, headers=shop, json={"code": wrong})
    assert refused.status_code == 422
    assert "4 tries left" in refused.json()["detail"][0]["reason"]
    handed = client.post(url, headers=shop, json={"code": code})
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "collected"
    assert customer_sees(client, alliance, order)["status"] == "collected"
    assert client.post(url, headers=shop, json={"code": code}).status_code == 409
    mails = session.exec(select(Mail).where(Mail.order_id == order["id"]).order_by(col(Mail.id)))
    assert [m.kind for m in mails] == [
        MailKind.CONFIRMED,
        MailKind.OUT_FOR_DELIVERY,
        MailKind.AT_RELAY,
    ]


def test_another_shop_sees_none_of_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    _, order, _ = on_the_way_to_the_shop(client, session, settings, clock, geography)
    other = headers_for(session, settings, clock, "relay-tabac-du-temple@chaud.demo")
    assert client.get("/api/v1/relay/parcels", headers=other).json() == []
    for action, body in (("received", {}), ("collected", {"code": "123456"})):
        answer = client.post(
            f"/api/v1/relay/parcels/{order['id']}/{action}", headers=other, json=body
        )
        assert answer.status_code == 404, answer.text


def test_five_wrong_codes_lock_the_parcel_until_the_operator_unlocks_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    geography: Geography,
) -> None:
    alliance, order, door = on_the_way_to_the_shop(client, session, settings, clock, geography)
    shop = headers_for(session, settings, clock, VOLTAIRE)
    client.post(f"/api/v1/relay/parcels/{order['id']}/received", headers=shop)
    code = customer_sees(client, alliance, order)["relay_code"]
    wrong = "999999" if code != "999999" else "111111"
    url = f"/api/v1/relay/parcels/{order['id']}/collected"
    answers = [client.post(url, headers=shop, json={"code": wrong}) for _ in range(6)]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 409, 409]
    assert answers[4].json()["detail"]["current_status"] == "code_locked"
    assert client.post(url, headers=shop, json={"code": code}).status_code == 409
    told = session.exec(
        select(OutboxEvent).where(col(OutboxEvent.channel).in_(OPERATOR_CHANNELS))
    ).all()
    relay = [(e.kind, e.payload["order_id"]) for e in told if e.kind.startswith("relay.")]
    assert relay == [("relay.code_locked", order["id"])]
    operator = headers_for(session, settings, clock, "operator@chaud.demo")
    unlock = f"/api/v1/ops/stops/{door['id']}/unlock-code"
    assert client.post(unlock, headers=shop).status_code == 403
    assert client.post(unlock, headers=operator).json()["code_attempts"] == 0
    assert client.post(url, headers=shop, json={"code": code}).status_code == 200
    assert client.post(unlock, headers=operator).status_code == 404  # collected: nothing open
