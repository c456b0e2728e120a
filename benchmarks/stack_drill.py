"""The production stack, driven for real (issue 20): `python -m benchmarks.stack_drill`.

scripts/stack-test installs the container engine and builds the images (offline: a local
Debian base), then runs this against them, as root (it kills containers' processes):

- the stack comes up (docker-compose with the offline override) and is waited for through
  the TLS proxy, the only way in;
- a small alliance is set up as an operator would: the first operator by `chaud user invite`
  in an API container, then two restaurants (hours, menus), their kitchen staff, two couriers
  and a customer through the API;
- smoke: the customer orders from both kitchens; each kitchen's screen (the websocket,
  through the proxy) shows its ticket; the dispatcher puts the order on a courier's round;
  the kitchens cook; the courier rides the round to the door;
- faults, with the customer ordering every ORDER_EVERY_S all along and both screens open:
  an API container crashes, the leading dispatcher crashes, PostgreSQL is stopped and
  started, Redis is restarted. For each: what was acknowledged and then missing, or never
  shown on its kitchen's screen (lost); what was shown twice or put on two couriers
  (duplicated); the seconds until orders are taken and screens are live again (recovery);
- restore: pg_dump while orders flow; the stack torn down; a second stack restored from the
  dump into a fresh database: every order, ticket and ledger line acknowledged before it.

`--smoke-only` stops after the smoke. Prints a JSON summary last; exits 1 when anything was
lost, duplicated or failed.
"""

import argparse
import json
import os
import random
import re
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from api.demo.alliance import RESTAURANTS
from benchmarks.orders import DESTINATIONS

FILES = ("docker/compose.yaml", "docker/compose.offline.yaml")
SITE = "https://localhost"
ORDER_EVERY_S = 2.0
SETTLE_S = 15.0
"""After a fault is over, how long orders go on flowing before the next one."""
ANSWER_WITHIN_S = 150.0
"""How long one order is retried with its key: past the 60 s after which a key whose request
died may be used again (api.services.idempotency.STALE_AFTER)."""
PASSWORD = secrets.token_urlsafe(18)
MENU = (
    "name,price_cents,prep_minutes,station,freshness_minutes,vat_class\n"
    "Plat du jour,1450,10,stove,60,food_10\n"
    "Tarte du jour,650,5,cold,60,food_10\n"
)
T = TypeVar("T")


class DrillError(Exception):
    """A step of the drill that did not happen as it must."""


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now.

    The drill's kitchens open all day, and an order must be delivered the day it is placed:
    at noon in the alliance's zone, whatever the hour the drill runs at, that always holds.
    """
    offset = 12 - now.astimezone(UTC).hour
    # POSIX signs: Etc/GMT-11 is eleven hours ahead of UTC.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def run(command: list[str], env: dict[str, str] | None = None, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        command,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace")[-1500:]
        raise DrillError(f"{' '.join(command[:8])}: exit {done.returncode}: {error}")
    return done.stdout


def id_list(ids: Iterable[int]) -> str:
    """Numbers for SQL's IN (...), never empty: psql takes no bound parameters."""
    return ",".join(str(int(i)) for i in ids) or "0"


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.5) -> T:
    """The first true answer of check within the time, or DrillError naming what never came."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
        except (httpx.HTTPError, DrillError):
            answer = None
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise DrillError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


@dataclass
class Stack:
    """One docker-compose project of the stack, and its containers."""

    project: str
    env: dict[str, str]

    def compose(self, *args: str) -> bytes:
        files = [arg for path in FILES for arg in ("-f", path)]
        return run(["docker-compose", "-p", self.project, *files, *args], self.env)

    def up(self, *services: str) -> None:
        self.compose("up", "-d", "--no-build", *services)

    def down(self) -> None:
        try:
            self.compose("down", "-v", "--remove-orphans")
        except (DrillError, subprocess.TimeoutExpired) as error:
            print(f"stack-drill: tearing down {self.project}: {error}", file=sys.stderr)

    def report(self) -> None:
        """What each container is doing and its last words, on stderr: why a drill failed."""
        for args in (("ps", "-a"), ("logs", "--no-color", "--tail", "40")):
            try:
                sys.stderr.write(self.compose(*args).decode(errors="replace"))
            except (DrillError, subprocess.TimeoutExpired) as error:
                print(f"stack-drill: {' '.join(args)}: {error}", file=sys.stderr)

    def running(self, service: str) -> list[str]:
        labels = [
            f"label=com.docker.compose.project={self.project}",
            f"label=com.docker.compose.service={service}",
        ]
        return (
            run(["docker", "ps", "-q", *(f for label in labels for f in ("--filter", label))])
            .decode()
            .split()
        )

    def exec(self, service: str, *command: str, stdin: bytes | None = None, **env: str) -> bytes:
        (container, *_) = self.running(service)
        flags = [f for name, value in env.items() for f in ("-e", f"{name}={value}")]
        interactive = ["-i"] if stdin is not None else []
        return run(["docker", "exec", *interactive, *flags, container, *command], stdin=stdin)

    def postgres(self, tool: str, *args: str, stdin: bytes | None = None) -> bytes:
        """One of PostgreSQL's tools, in the database's container, on the stack's database."""
        connection = ("-h", "127.0.0.1", "-U", "chaud", "-d", "chaud")
        password = self.env["CHAUD_DB_PASSWORD"]
        return self.exec("postgres", tool, *connection, *args, stdin=stdin, PGPASSWORD=password)

    def sql(self, query: str) -> list[list[str]]:
        """Rows of a query, read by psql."""
        out = self.postgres("psql", "-AtX", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", query)
        return [line.split("|") for line in out.decode().splitlines() if line]

    def crash(self, container: str) -> None:
        """Kill the container's main process as a crash would: its restart policy applies."""
        pid = int(run(["docker", "inspect", "-f", "{{.State.Pid}}", container]).decode())
        os.kill(pid, signal.SIGKILL)

    def address(self, container: str) -> str:
        template = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
        return run(["docker", "inspect", "-f", template, container]).decode().strip()


class Api:
    """The stack's API through its proxy (a certificate from the proxy's own CA)."""

    def __init__(self, timeout: float = 15) -> None:
        self.http = httpx.Client(base_url=SITE, verify=False, timeout=timeout)  # noqa: S501

    def call(
        self, method: str, path: str, token: str | None = None, expect: int = 200, **kw: Any
    ) -> Any:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(method, path, headers=headers, **kw)
        if response.status_code != expect:
            raise DrillError(f"{method} {path}: {response.status_code} {response.text[:400]}")
        return response.json() if response.content else None

    def ready(self) -> bool:
        try:
            return self.http.get("/readyz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class Person:
    email: str
    token: str


@dataclass
class Kitchen:
    restaurant_id: int
    lat: float
    lon: float
    staff: Person
    dishes: list[int]


@dataclass
class Alliance:
    operator: Person
    kitchens: list[Kitchen]
    couriers: list[Person]
    customer: Person


def sign_in(api: Api, email: str) -> Person:
    form = {"username": email, "password": PASSWORD}
    return Person(email, api.call("POST", "/api/v1/auth/token", data=form)["access_token"])


def welcome(api: Api, link: str, email: str) -> Person:
    """Follow an invitation's one-time link: set the password, sign in."""
    (token,) = parse_qs(urlparse(link).query)["token"]
    api.call("POST", "/api/v1/auth/password", json={"token": token, "password": PASSWORD})
    return sign_in(api, email)


def invite(api: Api, operator: Person, email: str, **fields: Any) -> Person:
    body = {"email": email, "name": email.split("@")[0].title(), **fields}
    link = api.call("POST", "/api/v1/ops/people", operator.token, 201, json=body)["link"]
    return welcome(api, link, email)


def set_up(stack: Stack, api: Api) -> Alliance:
    """Two kitchens, two couriers on shift and a customer, as an operator sets them up."""
    email = "operator@example.org"
    said = stack.exec(
        "api", "chaud", "user", "invite", email, "--name", "Operator", "--role", "operator"
    )
    found = re.search(r"/welcome\?token=\S+", said.decode())
    if found is None:
        raise DrillError(f"chaud user invite printed no link: {said!r}")
    operator = welcome(api, found.group(0), email)
    kitchens = [add_kitchen(api, operator, demo) for demo in RESTAURANTS[:2]]
    couriers = [
        invite(api, operator, f"courier-{n}@example.org", role="courier", bag_capacity=6)
        for n in (1, 2)
    ]
    for courier, kitchen in zip(couriers, kitchens, strict=True):
        where = {"lat": kitchen.lat, "lon": kitchen.lon}
        api.call("POST", "/api/v1/courier/shift/start", courier.token, json=where)
    email = "customer@example.org"
    account = {"email": email, "password": PASSWORD, "name": "Customer"}
    api.call("POST", "/api/v1/auth/signup", expect=201, json=account)
    return Alliance(operator, kitchens, couriers, sign_in(api, email))


def add_kitchen(api: Api, operator: Person, demo: Any) -> Kitchen:
    form = {
        "slug": demo.slug,
        "name": demo.name,
        "cuisine": demo.cuisine,
        "address": demo.address,
        "lat": demo.lat,
        "lon": demo.lon,
        "default_prep_minutes": 10,
    }
    rid = api.call("POST", "/api/v1/ops/restaurants", operator.token, 201, json=form)["id"]
    week = {"periods": [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(7)]}
    api.call("PUT", f"/api/v1/ops/restaurants/{rid}/hours", operator.token, json=week)
    api.call(
        "POST",
        f"/api/v1/ops/restaurants/{rid}/menu.csv",
        operator.token,
        content=MENU.encode(),
        headers={"Content-Type": "text/csv"},
    )
    dishes = [d["id"] for d in api.call("GET", f"/api/v1/restaurants/{rid}/menu")["dishes"]]
    staff = invite(api, operator, f"kitchen-{rid}@example.org", role="kitchen", restaurant_id=rid)
    return Kitchen(rid, demo.lat, demo.lon, staff, dishes)


def cart(alliance: Alliance, rng: random.Random, both: bool = False) -> dict[str, Any]:
    kitchens = alliance.kitchens if both else rng.sample(alliance.kitchens, rng.choice([1, 2]))
    lines = [{"dish_id": rng.choice(k.dishes), "quantity": 1} for k in kitchens]
    return {"lines": lines, "destination": rng.choice(DESTINATIONS)}


class Screen:
    """One kitchen's screen on its websocket through the proxy: it reconnects with the last
    sequence it saw, as the kitchen display does."""

    def __init__(self, kitchen: Kitchen) -> None:
        self.kitchen = kitchen
        self.created: Counter[int] = Counter()
        """ticket.created events received, by ticket: twice is a duplicate."""
        self.shown: set[int] = set()
        """Tickets the screen has shown, by an event or in a snapshot."""
        self.live = threading.Event()
        self.live_since = time.monotonic()
        """When the screen last came back: said hello again and was not turned away."""
        self.drops = 0
        self.seq: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        url = SITE.replace("https://", "wss://") + "/kitchen/ws"
        while not self._stop.is_set():
            try:
                with connect(url, ssl=context, open_timeout=5, close_timeout=1) as socket:
                    hello = {"type": "hello", "token": self.kitchen.staff.token, "since": self.seq}
                    socket.send(json.dumps(hello))
                    self._follow(socket)
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            self.live.clear()
            if not self._stop.is_set():
                self.drops += 1
                self._stop.wait(0.5)

    def _follow(self, socket: Any) -> None:
        while not self._stop.is_set():
            try:
                message = json.loads(socket.recv(timeout=0.3))
            except TimeoutError:
                self._back()  # said hello and was not turned away: following again
                continue
            self._back()
            if message["type"] == "snapshot":
                self.seq = message["seq"]
                self.shown |= {t["ticket_id"] for t in message["tickets"]}
            elif message["type"] == "event":
                self.seq = message["seq"]
                if message["kind"] == "ticket.created":
                    self.created[message["payload"]["ticket_id"]] += 1
                    self.shown.add(message["payload"]["ticket_id"])

    def _back(self) -> None:
        if not self.live.is_set():
            self.live_since = time.monotonic()
            self.live.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class Placed:
    """One order attempt of the flow, retried with its key until answered."""

    key: str
    phase: str
    began: float
    order_id: int | None = None
    tickets: dict[int, int] = field(default_factory=dict)
    """Ticket id → restaurant id."""
    acked_at: float | None = None
    outcome: str = "pending"


class Flow:
    """The customer ordering every ORDER_EVERY_S, each order retried with its key on any
    answer that is not final (the proxy's 502, a 503, a key still in flight, no answer)."""

    def __init__(self, alliance: Alliance) -> None:
        self.alliance = alliance
        self.http = Api(timeout=10).http
        self.phase = "flowing"
        self.placed: list[Placed] = []
        self.answers: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.said: dict[str, str] = {}
        """The first body of each answer that was not 201: what the client was told."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=16)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        rng = random.Random(20)
        while not self._stop.wait(ORDER_EVERY_S):
            placed = Placed(str(uuid.uuid4()), self.phase, time.monotonic())
            with self._lock:
                self.placed.append(placed)
            self._pool.submit(self._place, placed, cart(self.alliance, rng))

    def _place(self, placed: Placed, body: dict[str, Any]) -> None:
        headers = {
            "Authorization": f"Bearer {self.alliance.customer.token}",
            "Idempotency-Key": placed.key,
        }
        while time.monotonic() < placed.began + ANSWER_WITHIN_S:
            try:
                response = self.http.post("/api/v1/orders", json=body, headers=headers)
                answer = str(response.status_code)
            except httpx.HTTPError as error:
                answer = type(error).__name__
            with self._lock:
                self.answers[placed.phase][answer] += 1
                if answer != "201" and answer.isdigit():
                    self.said.setdefault(answer, response.text[:160])
            if answer == "201":
                order = response.json()
                placed.tickets = {t["id"]: t["restaurant_id"] for t in order["tickets"]}
                placed.order_id, placed.acked_at = order["id"], time.monotonic()
                placed.outcome = "acknowledged"
                return
            if answer.isdigit() and answer not in ("409", "502", "503", "504"):
                placed.outcome = f"refused {answer}: {response.text[:200]}"
                return
            time.sleep(1)
        placed.outcome = "unanswered"

    def acknowledged(self, phase: str | None = None) -> list[Placed]:
        with self._lock:
            return [p for p in self.placed if p.order_id is not None and phase in (None, p.phase)]

    def first_taken_after(self, moment: float) -> float | None:
        """When an order first tried after the moment was acknowledged, if one was."""
        with self._lock:
            taken = [p.acked_at for p in self.placed if p.began >= moment and p.acked_at]
        return min(taken) if taken else None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)


@dataclass
class Fault:
    name: str
    began: float = 0.0
    back: float = 0.0
    """When the fault was over: the crash itself, or the service started again."""
    marks: list[float] = field(default_factory=list)
    """Other moments the service is back only after (the next plan, a sign-in)."""
    detail: dict[str, Any] = field(default_factory=dict)


def smoke(api: Api, alliance: Alliance, screens: list[Screen]) -> dict[str, float]:
    """One order from both kitchens, from the customer's tap to the door; seconds per step."""
    began = time.monotonic()
    order = api.call(
        "POST",
        "/api/v1/orders",
        alliance.customer.token,
        201,
        json=cart(alliance, random.Random(1), both=True),
        headers={"Idempotency-Key": "smoke"},
    )
    tickets = {t["restaurant_id"]: t["id"] for t in order["tickets"]}
    if len(tickets) != 2:
        raise DrillError(f"the smoke order has {len(tickets)} tickets, not one per kitchen")
    wait_for(
        lambda: all(tickets[s.kitchen.restaurant_id] in s.shown for s in screens),
        20,
        "each ticket on its kitchen's screen",
    )
    shown = time.monotonic()
    courier = wait_for(lambda: courier_of(api, alliance, order["id"]), 60, "a round for it")
    planned = time.monotonic()
    for kitchen in alliance.kitchens:
        for step in ("start", "ready"):
            path = f"/api/v1/kitchen/tickets/{tickets[kitchen.restaurant_id]}/{step}"
            api.call("POST", path, kitchen.staff.token)
    ride(api, courier, order["id"])
    status = api.call("GET", f"/api/v1/orders/{order['id']}", alliance.customer.token)["status"]
    if status != "delivered":
        raise DrillError(f"the smoke order is {status}, not delivered")
    return {
        "order_id": order["id"],
        "on_screens_s": round(shown - began, 2),
        "planned_s": round(planned - began, 2),
        "delivered_s": round(time.monotonic() - began, 2),
    }


def courier_of(api: Api, alliance: Alliance, order_id: int) -> Person | None:
    for courier in alliance.couriers:
        stops = api.call("GET", "/api/v1/courier/round", courier.token)["stops"]
        if any(stop["order_id"] == order_id for stop in stops):
            return courier
    return None


def ride(api: Api, courier: Person, order_id: int) -> None:
    """Arrive at and finish each stop of the round, standing at it, until the order is home."""
    for _ in range(12):
        round_ = api.call("GET", "/api/v1/courier/round", courier.token)
        if not any(s["order_id"] == order_id for s in round_["stops"]):
            return
        stop = next(s for s in round_["stops"] if s["id"] == round_["next_stop_id"])
        here = {"lat": stop["lat"], "lon": stop["lon"]}
        at = f"/api/v1/courier/stops/{stop['id']}"
        api.call("POST", f"{at}/arrived", courier.token, 204, json=here)
        api.call("POST", f"{at}/done", courier.token, json=here)
    raise DrillError(f"order {order_id}: still on the round after twelve stops")


def leading_dispatcher(stack: Stack) -> str | None:
    """The dispatcher container holding the leader's advisory lock, found by its address."""
    rows = stack.sql(
        "SELECT host(a.client_addr) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted"
    )
    holders = {row[0] for row in rows}
    found = [c for c in stack.running("dispatcher") if stack.address(c) in holders]
    return found[0] if len(found) == 1 else None


def plans_made(stack: Stack) -> int:
    return int(stack.sql("SELECT count(*) FROM outbox_events WHERE kind = 'plan.made'")[0][0])


def crash_api(stack: Stack, fault: Fault) -> None:
    (victim, *_) = stack.running("api")
    stack.crash(victim)
    fault.back = time.monotonic()


def crash_dispatcher(stack: Stack, fault: Fault) -> None:
    leader = wait_for(lambda: leading_dispatcher(stack), 60, "a leading dispatcher")
    before = plans_made(stack)
    stack.crash(leader)
    fault.back = time.monotonic()
    wait_for(lambda: plans_made(stack) > before, 120, "a plan after the leader's crash")
    fault.marks.append(time.monotonic())
    fault.detail["planned_again_s"] = round(fault.marks[-1] - fault.back, 2)
    successor = wait_for(lambda: leading_dispatcher(stack), 60, "a new leading dispatcher")
    fault.detail["standby_took_over"] = successor != leader


def restart_postgres(stack: Stack, fault: Fault) -> None:
    stack.compose("stop", "postgres")
    time.sleep(5)  # orders keep coming: each must be answered 503, then taken, never lost
    stack.compose("start", "postgres")
    fault.back = time.monotonic()


def restart_redis(stack: Stack, fault: Fault) -> None:
    api = Api()
    stack.compose("stop", "redis")
    down = Counter(str(sign_in_answer(api)) for _ in range(3))
    stack.compose("start", "redis")
    fault.back = time.monotonic()
    fault.detail["sign_in_while_down"] = dict(down)
    wait_for(lambda: sign_in_answer(api) == 200, 60, "a sign-in once Redis is back")
    fault.marks.append(time.monotonic())


def sign_in_answer(api: Api) -> int:
    form = {"username": "customer@example.org", "password": PASSWORD}
    try:
        return api.http.post("/api/v1/auth/token", data=form).status_code
    except httpx.HTTPError:
        return 0


FAULTS: tuple[tuple[str, Callable[[Stack, Fault], None]], ...] = (
    ("api_container_crash", crash_api),
    ("leading_dispatcher_crash", crash_dispatcher),
    ("postgres_restart", restart_postgres),
    ("redis_restart", restart_redis),
)
WHILE_DOWN: frozenset[str] = frozenset({"201", "409", "503"})
"""What an order may be answered while a service is down: taken, in flight, come back later."""


def inject(
    stack: Stack,
    flow: Flow,
    screens: list[Screen],
    name: str,
    act: Callable[[Stack, Fault], None],
) -> Fault:
    """One fault with orders flowing, waited out: orders taken again, the screens live."""
    time.sleep(SETTLE_S)
    fault = Fault(name)
    flow.phase = name
    dropped = sum(s.drops for s in screens)
    fault.began = time.monotonic()
    act(stack, fault)
    taken = wait_for(lambda: flow.first_taken_after(fault.back), 180, f"{name}: orders taken")
    wait_for(lambda: all(s.live.is_set() for s in screens), 60, f"{name}: screens live again")
    fault.marks += [taken, *(s.live_since for s in screens if s.live_since > fault.began)]
    fault.detail["screens_reconnected"] = sum(s.drops for s in screens) - dropped
    return fault


def account(
    stack: Stack, flow: Flow, screens: list[Screen], faults: list[Fault]
) -> list[dict[str, Any]]:
    """Each fault's orders (those first tried from it to the next): lost, duplicated."""
    placed = flow.acknowledged()
    by_kitchen = {s.kitchen.restaurant_id: s for s in screens}
    every_ticket = [(t, by_kitchen[r]) for p in placed for t, r in p.tickets.items()]
    with suppress(DrillError):  # what never shows within a minute is counted lost below
        wait_for(lambda: all(t in s.shown for t, s in every_ticket), 60, "tickets on screen", 1)
    ids = id_list(p.order_id for p in placed if p.order_id is not None)
    present = {int(r[0]) for r in stack.sql(f"SELECT id FROM orders WHERE id IN ({ids})")}  # noqa: S608
    two_couriers = {
        int(r[0])
        for r in stack.sql(
            "SELECT s.order_id FROM stops s JOIN rounds r ON r.id = s.round_id "
            "GROUP BY s.order_id HAVING count(DISTINCT r.courier_id) > 1"
        )
    }
    results = []
    for fault in faults:
        mine = [p for p in placed if p.phase == fault.name]
        unseen = [t for p in mine for t, r in p.tickets.items() if t not in by_kitchen[r].shown]
        twice = [t for p in mine for t, r in p.tickets.items() if by_kitchen[r].created[t] > 1]
        results.append(
            {
                "name": fault.name,
                "lost": sum(p.order_id not in present for p in mine) + len(unseen),
                "duplicated": len(twice) + sum(p.order_id in two_couriers for p in mine),
                "recovery_s": round(max([fault.back, *fault.marks]) - fault.back, 2),
                "orders": len(mine),
                "answers": dict(flow.answers[fault.name]),
                "not_taken": Counter(
                    p.outcome.split(":")[0]
                    for p in flow.placed
                    if p.phase == fault.name and p.order_id is None
                ),
                **fault.detail,
            }
        )
    return results


@dataclass
class Dumped:
    """What was acknowledged when pg_dump began, and the dump."""

    orders: set[int]
    tickets: set[int]
    ledger: list[str]
    dump: bytes


def ledger_upto(stack: Stack, last: int) -> list[str]:
    """The journal's lines up to an id: their count and the sums of each side."""
    sums = "count(*), coalesce(sum(debit_cents), 0), coalesce(sum(credit_cents), 0)"
    return stack.sql(f"SELECT {sums} FROM ledger_entries WHERE id <= {int(last)}")[0]  # noqa: S608


def dump_while_flowing(stack: Stack, flow: Flow) -> Dumped:
    placed = flow.acknowledged()
    last = int(stack.sql("SELECT coalesce(max(id), 0) FROM ledger_entries")[0][0])
    ledger = [str(last), *ledger_upto(stack, last)]
    dump = stack.postgres("pg_dump", "--format=custom")
    orders = {p.order_id for p in placed if p.order_id is not None}
    return Dumped(orders, {t for p in placed for t in p.tickets}, ledger, dump)


def restore(stack: Stack, api: Api, dumped: Dumped) -> dict[str, Any]:
    """A fresh stack on the dump: what it holds of what was acknowledged before the dump."""
    stack.up("postgres")
    wait_for(lambda: stack.postgres("pg_isready"), 120, "the fresh database")
    restoring = ("--no-owner", "--exit-on-error", "--single-transaction")
    stack.postgres("pg_restore", *restoring, stdin=dumped.dump)
    stack.up()
    wait_for(api.ready, 300, "the restored stack ready")
    customer = sign_in(api, "customer@example.org")
    seen: set[int] = set()
    for offset in range(0, 10_000, 100):
        page = api.call("GET", f"/api/v1/orders?limit=100&offset={offset}", customer.token)
        seen |= {o["id"] for o in page}
        if len(page) < 100:
            break
    tickets = id_list(dumped.tickets)
    found = stack.sql(f"SELECT count(*) FROM tickets WHERE id IN ({tickets})")[0][0]  # noqa: S608
    last = int(dumped.ledger[0])
    return {
        "orders_before": len(dumped.orders),
        "orders_after": len(dumped.orders & seen),
        "tickets_before": len(dumped.tickets),
        "tickets_after": int(found),
        "ledger_before": dumped.ledger[1:],
        "ledger_after": ledger_upto(stack, last),
        "dump_bytes": len(dumped.dump),
    }


def proxy_checks(api: Api) -> dict[str, Any]:
    """HSTS on answers, plain HTTP sent to HTTPS."""
    hsts = api.http.get("/healthz").headers.get("strict-transport-security", "")
    plain = httpx.get("http://localhost/healthz", timeout=5).status_code
    return {"hsts": "max-age=" in hsts, "http_status": plain}


def passed(summary: dict[str, Any], smoke_only: bool) -> bool:
    restore = summary.get("restore") or {}
    smoked = (
        summary["smoke"] is True
        and not summary["failures"]
        and summary.get("proxy", {}).get("hsts") is True
        and summary["proxy"]["http_status"] == 308
    )
    faults = summary["faults"]
    return smoked and (
        smoke_only
        or (
            len(faults) == len(FAULTS)
            and all(f["lost"] == 0 and f["duplicated"] == 0 for f in faults)
            # Every order in the database is one a client was told was taken: none twice.
            and summary.get("orders_committed") == summary.get("orders_acknowledged")
            and all(
                set(f["answers"]) <= WHILE_DOWN for f in faults if f["name"] == "postgres_restart"
            )
            and restore.get("orders_before") == restore.get("orders_after")
            and restore.get("tickets_before") == restore.get("tickets_after")
            and restore.get("ledger_before") == restore.get("ledger_after")
        )
    )


def drill(first: Stack, second: Stack, summary: dict[str, Any], smoke_only: bool) -> None:
    began = time.monotonic()
    first.up()
    api = Api()
    wait_for(api.ready, 300, "the stack ready through its proxy")
    summary["up_s"] = round(time.monotonic() - began, 1)
    summary["proxy"] = proxy_checks(api)
    alliance = set_up(first, api)
    with open_screens(alliance) as screens:
        summary["smoke_steps"] = smoke(api, alliance, screens)
        summary["smoke"] = True
        if smoke_only:
            return
        flow = Flow(alliance)
        try:
            faults = [inject(first, flow, screens, name, act) for name, act in FAULTS]
            time.sleep(SETTLE_S)
            flow.phase = "backup"
            dumped = dump_while_flowing(first, flow)
            time.sleep(SETTLE_S)
        finally:
            flow.stop()
        summary["faults"] = account(first, flow, screens, faults)
        summary["orders_committed"] = int(first.sql("SELECT count(*) FROM orders")[0][0])
        summary["orders_acknowledged"] = len(flow.acknowledged()) + 1  # and the smoke's
        summary["answers_said"] = flow.said
    first.down()
    summary["restore"] = restore(second, api, dumped)


@contextmanager
def open_screens(alliance: Alliance) -> Iterator[list[Screen]]:
    screens = [Screen(kitchen) for kitchen in alliance.kitchens]
    try:
        wait_for(lambda: all(s.live.is_set() for s in screens), 30, "the kitchens' screens")
        yield screens
    finally:
        for screen in screens:
            screen.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke-only", action="store_true", help="Stop after the smoke run.")
    parser.add_argument("--began", type=float, default=time.time(), help="Unix time, for seconds")
    parser.add_argument("--built-s", type=float, default=0.0, help="Seconds the images took")
    parser.add_argument("--keep", action="store_true", help="Leave the stacks up, to look.")
    args = parser.parse_args()
    env = {
        "CHAUD_SECRET_KEY": secrets.token_hex(32),
        "CHAUD_DB_PASSWORD": secrets.token_hex(16),
        "CHAUD_REDIS_PASSWORD": secrets.token_hex(16),
        "CHAUD_TIMEZONE": midday_zone(datetime.now(UTC)),
    }
    first, second = Stack("chaud-stack-test", env), Stack("chaud-stack-restore", env)
    summary: dict[str, Any] = {"smoke": False, "faults": [], "restore": None, "failures": []}
    summary["built_s"] = args.built_s
    for stack in (first, second):
        stack.down()  # what an interrupted run left
    try:
        drill(first, second, summary, args.smoke_only)
    except (DrillError, httpx.HTTPError, subprocess.TimeoutExpired) as error:
        summary["failures"].append(f"{type(error).__name__}: {error}")
        for stack in (first, second):
            stack.report()
    finally:
        for stack in (first, second):
            if not args.keep:
                stack.down()
    summary["seconds"] = round(time.time() - args.began, 1)
    print(json.dumps(summary))
    sys.exit(0 if passed(summary, args.smoke_only) else 1)


if __name__ == "__main__":
    main()
