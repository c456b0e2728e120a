"""The customers' mails: queued with the change they tell of, sent by the worker through a
real SMTP server on localhost (aiosmtpd), each exactly once, even when the server is down for a
while, refuses for a while, or two workers send at once.

On a committed database of its own (the worker reads with its own sessions), on SQLite and
PostgreSQL.
"""

import email
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.clock import FixedClock
from api.db import create_db_engine
from api.mail import Mailer, render
from api.models import Mail, MailKind, Order
from api.services import mails
from api.settings import Settings, load_settings
from tests.accounts import dish_id, headers_for
from tests.databases import FRIDAY_EVENING, drop_database, seeded_database
from tests.live import free_port
from tests.test_quotes import HOME


class Mailbox:
    """An SMTP server's handler that refuses the next ``refusing`` messages (451, try later),
    then keeps what it accepts."""

    def __init__(self) -> None:
        self.refusing = 0
        self.received: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refusing > 0:
                self.refusing -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class World:
    """The alliance on a committed database, its API, and a clock the test moves."""

    def __init__(self, backend: str, folder: Path, graph_cache: Path) -> None:
        self.backend = backend
        self.database_url = seeded_database(backend, folder)
        self.engine = create_db_engine(self.database_url)
        self.port = free_port()
        self.settings: Settings = load_settings(
            database_url=self.database_url,
            data_dir=folder,
            cache_dir=graph_cache,
            smtp_host="127.0.0.1",
            smtp_port=self.port,
            mail_from="Chaud Devant <commandes@chaud.test>",
        )
        self.clock = FixedClock(FRIDAY_EVENING)
        self.client = TestClient(create_app(self.settings, engine=self.engine, clock=self.clock))
        with Session(self.engine) as session:
            self.customer = headers_for(session, self.settings, self.clock, "customer@chaud.demo")
            self.nems = dish_id(session, "pho-turenne", "Nems (4)")
            self.croque = dish_id(session, "comptoir-oberkampf", "Croque-monsieur")
            self.pho_kitchen = headers_for(
                session, self.settings, self.clock, "kitchen-pho-turenne@chaud.demo"
            )

    def order(self, *dishes: int, key: str) -> dict[str, Any]:
        body = {"lines": [{"dish_id": d, "quantity": 1} for d in dishes], "destination": HOME}
        r = self.client.post(
            "/api/v1/orders", json=body, headers={**self.customer, "Idempotency-Key": key}
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def mailer(self) -> Mailer:
        return Mailer(self.settings, engine=self.engine, clock=self.clock, poll_s=0.05)

    def mails(self) -> list[Mail]:
        with Session(self.engine) as session:
            return list(session.exec(select(Mail).order_by(col(Mail.id))).all())

    def later(self, seconds: float) -> None:
        self.clock.moment += timedelta(seconds=seconds)


@pytest.fixture
def world(backend: str, tmp_path: Path, graph_cache: Path) -> Iterator[World]:
    built = World(backend, tmp_path, graph_cache)
    try:
        yield built
    finally:
        built.client.close()
        built.engine.dispose()
        drop_database(backend, built.database_url)


def queue_three(world: World) -> None:
    """A one-kitchen order confirmed at once; a two-kitchen order whose Phở kitchen refuses
    its part (a mail with the new total), which confirms the rest (a mail)."""
    world.order(world.croque, key="one")
    two = world.order(world.croque, world.nems, key="two")
    pho = next(t for t in two["tickets"] if "Phở" in t["restaurant_name"])
    refused = world.client.post(
        f"/api/v1/kitchen/tickets/{pho['id']}/refuse",
        json={"reason": "out of rice paper"},
        headers=world.pho_kitchen,
    )
    assert refused.status_code == 200, refused.text


def test_each_moment_worth_a_mail_queues_one(world: World) -> None:
    queue_three(world)
    assert [(m.order_id, m.kind) for m in world.mails()] == [
        (1, MailKind.CONFIRMED),
        (2, MailKind.CONFIRMED),
        (2, MailKind.PART_REFUSED),
    ]
    refused = world.mails()[2]
    assert refused.context["reason"] == "out of rice paper"
    assert refused.context["kitchen"] == "Phở Turenne"


def test_a_customer_who_switched_mails_off_gets_none_and_english_reads_english(
    world: World,
) -> None:
    off = world.client.patch(
        "/api/v1/me/preferences", json={"email_notifications": False}, headers=world.customer
    )
    assert off.json() == {"language": "fr", "email_notifications": False}
    world.order(world.croque, key="quiet")
    assert world.mails() == []
    world.client.patch(
        "/api/v1/me/preferences",
        json={"email_notifications": True, "language": "en"},
        headers=world.customer,
    )
    world.order(world.croque, key="english")
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=world.port)
    controller.start()
    try:
        assert world.mailer().send_due() == 1
    finally:
        controller.stop()
    [sent] = mailbox.received
    assert sent["Subject"] == "Order #2 confirmed"
    assert sent["To"] == "customer@chaud.demo"
    assert "Switch them off in your account" in sent.get_content()


def test_a_mail_server_down_then_refusing_then_back_loses_nothing_and_sends_nothing_twice(
    world: World,
) -> None:
    queue_three(world)
    mailer = world.mailer()
    # Down: nothing listens on the port. Every mail waits for a retry.
    assert mailer.send_due() == 0
    waiting = world.mails()
    assert all(m.sent_at is None and m.attempts == 1 and m.last_error for m in waiting)
    assert mailer.send_due() == 0  # not due yet: no hammering of a server that is down
    mailbox = Mailbox()
    mailbox.refusing = 2
    controller = Controller(mailbox, hostname="127.0.0.1", port=world.port)
    controller.start()
    try:
        world.later(20)
        assert mailer.send_due() == 1  # two refused (451), one through
        for _ in range(10):  # the retries, as time passes
            world.later(60)
            mailer.send_due()
    finally:
        controller.stop()
    ids = [m["Message-ID"] for m in mailbox.received]
    assert len(ids) == len(set(ids)) == 3
    assert all(m.sent_at is not None for m in world.mails())
    assert {m["Subject"] for m in mailbox.received} == {
        "Commande n° 1 confirmée",
        "Commande n° 2 confirmée",
        "Commande n° 2 : une cuisine ne peut pas préparer sa part",
    }
    refusal = next(m for m in mailbox.received if "cuisine" in m["Subject"])
    assert "Phở Turenne ne peut pas préparer sa part" in refusal.get_content()
    assert "nouveau total 14,90 €" in refusal.get_content()


def test_two_workers_at_once_send_each_mail_once(world: World) -> None:
    for n in range(6):
        world.order(world.croque, key=f"many-{n}")
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=world.port)
    controller.start()
    try:
        workers = [world.mailer(), world.mailer()]
        barrier = threading.Barrier(2)

        def send(mailer: Mailer) -> int:
            barrier.wait()
            return mailer.send_due()

        threads_sent: list[int] = []
        threads = [
            threading.Thread(target=lambda m=m: threads_sent.append(send(m))) for m in workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert sum(threads_sent) == 6
    ids = [m["Message-ID"] for m in mailbox.received]
    assert len(ids) == len(set(ids)) == 6


def test_old_news_is_given_up_not_sent(world: World) -> None:
    world.order(world.croque, key="old")
    world.later(7 * 3600)
    assert world.mailer().send_due() == 0
    [mail] = world.mails()
    assert mail.given_up_at is not None
    assert mail.sent_at is None


def test_no_mail_server_no_worker(world: World) -> None:
    quiet = world.settings.model_copy(update={"smtp_host": None})
    with pytest.raises(ValueError, match="CHAUD_SMTP_HOST"):
        Mailer(quiet, engine=world.engine)
    assert sa.inspect(world.engine).has_table("mails")


def test_ready_at_the_shop_gives_the_code_and_the_hours(world: World) -> None:
    relays = world.client.get("/api/v1/relay-points").json()
    voltaire = next(r for r in relays if r["name"] == "Le Voltaire")
    body = {
        "lines": [{"dish_id": world.croque, "quantity": 1}],
        "destination": {"relay_point_id": voltaire["id"]},
    }
    placed = world.client.post(
        "/api/v1/orders", json=body, headers={**world.customer, "Idempotency-Key": "relay"}
    ).json()
    with Session(world.engine) as session:
        order = session.get(Order, placed["id"])
        assert order is not None
        mails.queue(session, order, MailKind.AT_RELAY, world.clock.now())
        session.commit()
        mail = session.exec(select(Mail).where(Mail.kind == MailKind.AT_RELAY)).one()
        letter = render(session, mail, world.settings)
    assert letter is not None
    assert letter.subject == f"Commande n° {placed['id']} prête chez Le Voltaire"
    assert f"Votre code de retrait : {placed['relay_code']}" in letter.body
    assert "Horaires : 06:30–22:00" in letter.body
