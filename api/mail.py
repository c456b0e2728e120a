"""The mail worker: sends the customers' queued mails (api.models.Mail), never in a request.

Each mail is claimed by a conditional update that takes its lease (so two workers never send
one mail), sent over SMTP, then marked sent. A mail server that refuses or is down leaves the
mail queued for a retry with a growing delay; a mail older than MAX_AGE is no news and is given
up. Exactly once, with one honest limit: a worker killed between the server's "250 OK" and
the commit that marks the mail sent sends it again when its lease runs out. Every mail carries
one Message-ID for all its attempts, so a mailbox shows such a repeat as the same message.
"""

import logging
import os
import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import jinja2
import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.clock import Clock, clock_starting
from api.db import create_db_engine, writer
from api.models import Language, Mail, Order, RelayPoint, User
from api.services.vat import euros
from api.settings import Settings

log = logging.getLogger("chaud.mail")

LEASE: Final = timedelta(minutes=2)
"""How long a worker holds a mail it is sending; a crashed worker's mail is free after it."""
MAX_AGE: Final = timedelta(hours=6)
"""A mail about an order older than this is no news: given up, not sent late."""
BATCH: Final = 20
_MAILS: sa.Table = Mail.__table__  # type: ignore[attr-defined]
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    autoescape=False,  # noqa: S701 (plain-text mail, never HTML)
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_FOOTER: Final = {
    Language.FR: "Vous ne voulez plus ces e-mails ? Désactivez-les dans votre compte : {url}",
    Language.EN: "Rather not get these mails? Switch them off in your account: {url}",
}


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 15 s, 30 s, 1 min … at most 10 min."""
    return timedelta(seconds=min(600, 15 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


def render(session: Session, mail: Mail, settings: Settings) -> Letter | None:
    """The mail as the customer reads it, in the customer's language; None if it vanished."""
    order = session.get(Order, mail.order_id)
    user = session.get(User, mail.user_id)
    if order is None or user is None:
        return None
    zone = ZoneInfo(settings.timezone)
    relay = session.get(RelayPoint, order.relay_point_id) if order.relay_point_id else None
    url = f"{settings.public_url.rstrip('/')}/orders/{order.id}"
    eta = order.estimated_delivery_at or order.promised_at
    values: dict[str, Any] = {
        "name": user.name,
        "order_id": order.id,
        "total": euros(order.total_cents),
        "eta": f"{eta.astimezone(zone):%H:%M}",
        "url": url,
        "relay": relay.name if relay else None,
        "relay_address": relay.address if relay else None,
        "relay_hours": relay.hours_text() if relay else None,
        "code": order.relay_code,
        "delivered": f"{order.delivered_at.astimezone(zone):%H:%M}" if order.delivered_at else "",
        "kitchen": mail.context.get("kitchen", ""),
        "reason": mail.context.get("reason", ""),
        "new_total": euros(int(mail.context.get("total_cents", order.total_cents))),
    }
    text = _TEMPLATES.get_template(f"{user.language.value}/{mail.kind.value}.txt").render(values)
    subject, _, body = text.partition("\n")
    footer = _FOOTER[user.language].format(url=f"{settings.public_url.rstrip('/')}/account")
    return Letter(to=user.email, subject=subject.strip(), body=f"{body.strip()}\n\n-- \n{footer}\n")


def message(letter: Letter, mail: Mail, settings: Settings) -> EmailMessage:
    sent = EmailMessage()
    sent["From"] = settings.mail_from
    sent["To"] = letter.to
    sent["Subject"] = letter.subject
    sent["Date"] = format_datetime(mail.created_at)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2]
    # One id for every attempt of this mail: a repeat shows as the same message.
    sent["Message-ID"] = f"<mail-{mail.id}.{int(mail.created_at.timestamp())}@{domain}>"
    sent.set_content(letter.body)
    return sent


class Mailer:
    """Sends what is due, batch after batch; stoppable from another thread (tests, signals)."""

    def __init__(
        self,
        settings: Settings,
        engine: sa.Engine | None = None,
        clock: Clock | None = None,
        parent_pid: int | None = None,
        poll_s: float = 1.0,
    ) -> None:
        if settings.smtp_host is None:
            raise ValueError("CHAUD_SMTP_HOST: no mail server is set, so no mail is sent")
        self.settings = settings
        self.engine = engine or create_db_engine(settings.database_url)
        self.clock = clock or clock_starting(settings.clock_start)
        self.parent_pid = parent_pid
        self.poll_s = poll_s
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                sent = self.send_due()
            except sa.exc.SQLAlchemyError:
                log.exception("mail: the database failed; retrying")
                sent = 0
            if not sent:
                self.stopping.wait(self.poll_s)
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self.stopping.set()

    def send_due(self) -> int:
        """Send one batch of due mails; how many were sent."""
        now = self.clock.now()
        self._give_up_old(now)
        with Session(self.engine) as session:
            due = session.exec(
                select(Mail.id)
                .where(
                    col(Mail.sent_at).is_(None),
                    col(Mail.given_up_at).is_(None),
                    col(Mail.next_attempt_at) <= now,
                    sa.or_(col(Mail.lease_until).is_(None), col(Mail.lease_until) < now),
                )
                .order_by(col(Mail.id))
                .limit(BATCH)
            ).all()
        return sum(self._send_one(mail_id, now) for mail_id in due if mail_id is not None)

    def _give_up_old(self, now: datetime) -> None:
        with Session(writer(self.engine)) as session:
            session.execute(
                sa.update(_MAILS)
                .where(
                    _MAILS.c.sent_at.is_(None),
                    _MAILS.c.given_up_at.is_(None),
                    _MAILS.c.created_at < now - MAX_AGE,
                )
                .values(given_up_at=now, last_error="too old to be news")
            )
            session.commit()

    def _claim(self, mail_id: int, now: datetime) -> bool:
        """Take the mail's lease, if nobody holds it: checked by the row count."""
        with Session(writer(self.engine)) as session:
            taken = session.execute(
                sa.update(_MAILS)
                .where(
                    _MAILS.c.id == mail_id,
                    _MAILS.c.sent_at.is_(None),
                    _MAILS.c.given_up_at.is_(None),
                    sa.or_(_MAILS.c.lease_until.is_(None), _MAILS.c.lease_until < now),
                )
                .values(lease_until=now + LEASE, attempts=_MAILS.c.attempts + 1)
            )
            session.commit()
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    def _send_one(self, mail_id: int, now: datetime) -> int:
        if not self._claim(mail_id, now):
            return 0  # another worker has it
        with Session(writer(self.engine)) as session:
            mail = session.get(Mail, mail_id)
            assert mail is not None
            letter = render(session, mail, self.settings)
            if letter is None:  # the order or the customer was erased since
                mail.given_up_at, mail.last_error = now, "nothing left to tell"
                session.add(mail)
                session.commit()
                return 0
            try:
                self._deliver(message(letter, mail, self.settings))
            except (smtplib.SMTPException, OSError) as error:
                permanent = isinstance(error, smtplib.SMTPRecipientsRefused)
                mail.last_error = str(error)[:300]
                mail.lease_until = None
                mail.next_attempt_at = now + retry_delay(mail.attempts)
                if permanent:
                    mail.given_up_at = now
                session.add(mail)
                session.commit()
                log.warning("mail %d not sent (attempt %d): %s", mail_id, mail.attempts, error)
                return 0
            mail.sent_at, mail.lease_until, mail.last_error = now, None, None
            session.add(mail)
            session.commit()
            return 1

    def _deliver(self, sent: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(sent)
