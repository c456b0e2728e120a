// The kitchen screen: live tickets over a websocket, resumed by sequence number, with
// commands queued while offline and replayed (once each) on return.
"use strict";

const SEQ_KEY = "chaud.kitchen.seq";
const QUEUE_KEY = "chaud.kitchen.commands";
const OFFLINE_AFTER_MS = 25000;  // heartbeats come every 12 s
const WARN_LATE_MS = 3 * 60 * 1000;
const NEXT_ACTION = { new: "accept", accepted: "start", preparing: "bump" };
const tr = (message, values) => Chaud.t(message, values);  // the screen's language
const ACTION_LABEL = { accept: tr("Accept"), start: tr("Start"), bump: tr("Bump") };
const CLOSED = new Set(["picked_up", "refused", "cancelled"]);
const LATER_MS = 20 * 60 * 1000;  // a ticket to start further ahead than this waits in "Later"
const TRAVEL_MS = 15 * 60 * 1000;  // a booked slot's ride, until the dispatcher plans it
const TICKET_STATES = { new: tr("new"), accepted: tr("accepted"), preparing: tr("preparing"), ready: tr("ready") };
const REFUSE_REASONS = [tr("Out of an ingredient"), tr("Too busy right now"), tr("Closing early"), tr("Other")];
let refusing = null;  // the ticket whose refusal form is open
let keptForm = null;  // that form, kept across the board's redraws (what is typed stays)
let refusedScreen = false;  // signed in with an account that is not this kitchen's

const tickets = new Map();  // ticket id -> payload
const seenEvents = new Set();
let seq = Number(localStorage.getItem(SEQ_KEY)) || null;
let socket = null;
let lastMessageAt = Date.now();
let selected = null;
let audio = null;

function pendingCommands() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY)) || []; } catch { return []; }
}
function savePending(list) { localStorage.setItem(QUEUE_KEY, JSON.stringify(list)); }

function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

function command(action, ticketId, dishId) {
  const message = { type: "command", client_id: uuid(), action, ticket_id: ticketId, dish_id: dishId };
  const list = pendingCommands();
  list.push(message);
  savePending(list);
  sendPending();
  render();
}

function sendPending() {
  if (!socket || socket.readyState !== WebSocket.OPEN || !socket.ready) return;
  for (const message of pendingCommands()) socket.send(JSON.stringify(message));
}

function beep() {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
  } catch { /* no sound before the first touch */ }
}

function apply(kind, payload, quiet) {
  const id = payload.ticket_id;
  if (!id) return;
  const known = tickets.get(id);
  if (kind === "ticket.cancelled" || CLOSED.has(payload.status)) {
    tickets.delete(id);
    return;
  }
  const merged = { ...(known || {}), ...payload };
  tickets.set(id, merged);
  if (!quiet && (kind === "ticket.created" || kind === "ticket.scheduled" || kind === "ticket.updated")) {
    merged.flashUntil = Date.now() + 2500;
    if (kind === "ticket.created") beep();
  }
}

function onMessage(raw) {
  lastMessageAt = Date.now();
  document.getElementById("offline").hidden = true;
  const message = JSON.parse(raw.data);
  if (message.type === "snapshot") {
    tickets.clear();
    for (const t of message.tickets) tickets.set(t.ticket_id, t);
    seq = message.seq;
  } else if (message.type === "event") {
    if (seenEvents.has(message.event_id)) return;  // a duplicate after a reconnect
    seenEvents.add(message.event_id);
    apply(message.kind, message.payload, socket.catchingUp);
    seq = message.seq;
  } else if (message.type === "ack") {
    savePending(pendingCommands().filter((c) => c.client_id !== message.client_id));
    if (!message.ok && message.status !== 404 && message.status !== 409) console.warn(message);
  } else if (message.type === "error") {
    refuse(message.detail);
  }
  if (message.type === "heartbeat" && socket.catchingUp) socket.catchingUp = false;
  if (seq !== null) localStorage.setItem(SEQ_KEY, String(seq));
  render();
}

// A wrong account is said as such, not as a connection lost: signing in again is the fix.
function refuse(detail) {
  refusedScreen = true;
  const box = document.getElementById("refused");
  const why = detail || tr("sign in again");
  box.textContent = tr("This account cannot open a kitchen screen ({why}): sign in with your kitchen's account.", { why });
  box.hidden = false;
  document.getElementById("offline").hidden = true;
  document.getElementById("signin").hidden = false;
}

function connect() {
  const token = Chaud.token();
  if (!token) { refuse("nobody is signed in"); return; }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/kitchen/ws`);
  socket.catchingUp = seq !== null;  // replayed events update quietly
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: "hello", token, since: seq }));
    socket.ready = true;
    sendPending();
    setTimeout(() => { if (socket) socket.catchingUp = false; }, 1500);
  };
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    socket = null;
    if (event.code === 4401) { refuse(event.reason); return; }
    setTimeout(connect, 1000 + Math.random() * 2000);
  };
}

function minutes(ms) {
  const total = Math.floor(Math.max(0, ms) / 1000);  // never a negative countdown
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

const hhmm = (iso) => Chaud.time(iso);

// When the kitchen should start the ticket: the dispatcher's time, else (a booked slot not yet
// planned) the slot less the cooking and a ride; null: at once.
function startsAt(ticket) {
  if (ticket.start_cooking_at) return new Date(ticket.start_cooking_at).getTime();
  if (ticket.deliver_at) return new Date(ticket.deliver_at).getTime() - ticket.prep_minutes * 60000 - TRAVEL_MS;
  return null;
}

const isLater = (ticket, now) => ["new", "accepted"].includes(ticket.status) && (startsAt(ticket) || 0) - now > LATER_MS;

function card(ticket, now, station, pendingFor) {
  const lines = ticket.lines.filter((l) => !station || l.station === station);
  if (station && !lines.length) return null;
  const start = startsAt(ticket);
  // The clock runs from when cooking should start: a booked order is not late for waiting.
  const age = now - Math.max(new Date(ticket.created_at).getTime(), start || 0);
  const target = ticket.prep_minutes * 60000;
  const el = document.createElement("article");
  el.className = "ticket" + (age > target + WARN_LATE_MS ? " late" : age > target ? " warn" : "");
  if (ticket.flashUntil && ticket.flashUntil > now) el.classList.add("flash");
  if (selected === ticket.ticket_id) el.classList.add("selected");
  el.tabIndex = 0;
  el.dataset.ticketId = ticket.ticket_id;
  // Words from the catalog, outside the template strings (where extraction cannot see them).
  const startIn = tr("Start in"), startNow = tr("Start now");
  const slot = ticket.deliver_at ? tr("Booked for {time}", { time: hhmm(ticket.deliver_at) }) : "";
  // The learned time beside the declared one, when learning has moved it.
  const pace = ticket.declared_minutes && ticket.declared_minutes !== ticket.prep_minutes
    ? tr("Cook {planned} min (declared {declared})", { planned: ticket.prep_minutes, declared: ticket.declared_minutes }) : "";
  const courierAt = ticket.pickup_eta ? tr("Courier at {time}", { time: hhmm(ticket.pickup_eta) }) : tr("No courier yet");
  const startText = start && start > now ? `${startIn} <b>${minutes(start - now)}</b>` : `<b>${startNow}</b>`;
  el.innerHTML = `<h3><span>#${ticket.order_id}</span><span class="age">${minutes(age)}</span></h3>
    <div class="status">${TICKET_STATES[ticket.status] || ticket.status}</div>
    <div class="times">
      ${["new", "accepted"].includes(ticket.status) ? `<div class="start">${startText}</div>` : ""}
      ${slot ? `<div class="slot">${slot}</div>` : ""}
      ${pace ? `<div class="pace">${pace}</div>` : ""}
      <div class="courier">${courierAt}</div>
    </div><ul></ul><div class="actions"></div>`;
  const list = el.querySelector("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.innerHTML = `<span class="qty"></span> <span class="name"></span>`;
    item.querySelector(".qty").textContent = `${line.quantity}×`;
    item.querySelector(".name").textContent = line.dish_name;
    for (const allergen of line.allergens) {
      const tag = document.createElement("span");
      tag.className = "allergen";
      tag.textContent = allergen;
      item.appendChild(tag);
    }
    if (line.note) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = line.note;
      item.appendChild(note);
    }
    list.appendChild(item);
  }
  const actions = el.querySelector(".actions");
  const next = NEXT_ACTION[ticket.status];
  if (pendingFor.has(ticket.ticket_id)) {
    const pending = document.createElement("span");
    pending.className = "pending";
    pending.textContent = tr("Sending…");
    actions.appendChild(pending);
  } else {
    if (next) {
      const button = document.createElement("button");
      button.className = next === "bump" ? "bump" : "next";
      button.textContent = ACTION_LABEL[next];
      button.onclick = () => command(next, ticket.ticket_id);
      actions.appendChild(button);
    }
    if (["new", "accepted"].includes(ticket.status)) {
      const no = document.createElement("button");
      no.className = "refuse";
      no.textContent = tr("Refuse");
      no.onclick = () => { refusing = ticket.ticket_id; render(); };
      actions.appendChild(no);
    }
  }
  if (refusing === ticket.ticket_id) el.appendChild(keptForm || refuseForm(ticket));
  el.onfocus = () => { selected = ticket.ticket_id; };
  return el;
}

function refuseForm(ticket) {
  const form = document.createElement("form");
  form.className = "refuse-form";
  const reason = document.createElement("select");
  reason.name = "reason";
  for (const text of REFUSE_REASONS) reason.appendChild(new Option(text));
  const detail = document.createElement("input");
  detail.name = "detail";
  detail.placeholder = tr("What is missing? (the customer reads it)");
  detail.maxLength = 150;
  const confirm = document.createElement("button");
  confirm.type = "submit";
  confirm.className = "confirm-refuse";
  confirm.textContent = tr("Refuse this ticket");
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = tr("Keep it");
  cancel.onclick = () => { refusing = null; render(); };
  form.append(reason, detail, confirm, cancel);
  form.onsubmit = async (event) => {
    event.preventDefault();
    const text = [reason.value, detail.value.trim()].filter(Boolean).join(": ");
    const result = await Chaud.api(`/kitchen/tickets/${ticket.ticket_id}/refuse`, { method: "POST", json: { reason: text } });
    if (!result.ok) { alertBar(Chaud.problemText(result.body)); return; }
    refusing = null;
    tickets.delete(ticket.ticket_id);
    render();
  };
  return form;
}

function alertBar(text) {
  const box = document.getElementById("refused");
  box.textContent = text;
  box.hidden = !text;
}

function render() {
  const now = Date.now();
  const station = document.getElementById("station-filter").value;
  const pendingFor = new Set(pendingCommands().map((c) => c.ticket_id));
  const board = document.getElementById("board");
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.ticketId : null;
  keptForm = refusing === null ? null : board.querySelector(".refuse-form");
  const typing = keptForm && keptForm.contains(document.activeElement) ? document.activeElement : null;
  board.innerHTML = "";
  // Bumped (ready) tickets leave the board and wait for their courier in the side list.
  const open = [...tickets.values()].filter((t) => t.status !== "ready" && !isLater(t, now))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.ticket_id - b.ticket_id);
  for (const ticket of open) {
    const el = card(ticket, now, station, pendingFor);
    if (el) board.appendChild(el);
  }
  const waiting = document.getElementById("bumped");
  waiting.innerHTML = "";
  for (const ticket of [...tickets.values()].filter((t) => t.status === "ready")) {
    const item = document.createElement("li");
    item.innerHTML = `<span></span><button class="recall"></button>`;
    item.querySelector("button").textContent = tr("Recall");
    item.querySelector("span").textContent =
      `#${ticket.order_id} ` + (ticket.pickup_eta ? tr("courier {time}", { time: hhmm(ticket.pickup_eta) }) : tr("no courier yet"));
    const button = item.querySelector("button");
    button.disabled = pendingFor.has(ticket.ticket_id);
    button.onclick = () => command("recall", ticket.ticket_id);
    waiting.appendChild(item);
  }
  if (typing && document.contains(typing)) typing.focus({ preventScroll: true });
  if (focused && !typing) {
    const again = board.querySelector(`[data-ticket-id="${focused}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  const counts = new Map();
  for (const ticket of open) {
    for (const line of ticket.lines) {
      if (station && line.station !== station) continue;
      counts.set(line.dish_name, (counts.get(line.dish_name) || 0) + line.quantity);
    }
  }
  const allDay = document.getElementById("all-day");
  allDay.innerHTML = "";
  for (const [name, count] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    const item = document.createElement("li");
    item.innerHTML = `<span></span><b></b>`;
    item.querySelector("span").textContent = name;
    item.querySelector("b").textContent = count;
    allDay.appendChild(item);
  }
  renderLater(now);
  document.getElementById("clock").textContent = Chaud.time(new Date().toISOString());
}

// Booked orders wait here until their start-cooking time comes near: not on the board, not
// in the all-day counts.
function renderLater(now) {
  const later = [...tickets.values()].filter((t) => isLater(t, now)).sort((a, b) => startsAt(a) - startsAt(b));
  const list = document.getElementById("later");
  list.innerHTML = "";
  for (const ticket of later) {
    const item = document.createElement("li");
    item.dataset.ticketId = ticket.ticket_id;
    const day = new Date(startsAt(ticket)).toDateString() === new Date(now).toDateString()
      ? "" : new Date(startsAt(ticket)).toLocaleDateString(document.documentElement.lang === "fr" ? "fr-FR" : "en-GB", { weekday: "short", timeZone: document.documentElement.dataset.timezone }) + " ";
    item.textContent = `#${ticket.order_id} · ` + tr("start {time}", { time: day + hhmm(new Date(startsAt(ticket)).toISOString()) }) +
      (ticket.deliver_at ? " · " + tr("for {time}", { time: hhmm(ticket.deliver_at) }) : "");
    list.appendChild(item);
  }
}

// --- the kitchen's own controls: its name, pause, busy minutes, sold-out dishes -------------
async function loadKitchen() {
  const result = await Chaud.api("/kitchen/restaurant");
  if (!result.ok) return;
  const kitchen = result.body;
  document.getElementById("restaurant-name").textContent = kitchen.name;
  document.title = `${kitchen.name} · ${tr("Kitchen screen")}`;
  const pause = document.getElementById("pause");
  pause.textContent = kitchen.paused ? tr("Resume orders") : tr("Pause orders");
  pause.classList.toggle("on", kitchen.paused);
  document.getElementById("paused-banner").hidden = !kitchen.paused;
  const pace = kitchen.pace;
  document.getElementById("pace").textContent = pace.tickets
    ? tr("Your real pace: ×{factor} your declared times ({tickets} tickets)", { factor: pace.factor.toFixed(2), tickets: pace.tickets })
    : tr("Your declared times, until your tickets teach us your pace");
  const busy = document.getElementById("busy");
  if (![...busy.options].some((o) => Number(o.value) === kitchen.busy_extra_minutes)) {
    busy.appendChild(new Option(`+${kitchen.busy_extra_minutes} min`, String(kitchen.busy_extra_minutes)));
  }
  busy.value = String(kitchen.busy_extra_minutes);
  const cap = document.getElementById("cap");
  cap.value = String(kitchen.orders_per_quarter);
  cap.onchange = () => setKitchen({ orders_per_quarter: Number(cap.value) });
  pause.onclick = () => setKitchen({ paused: !kitchen.paused });
  busy.onchange = () => setKitchen({ busy_extra_minutes: Number(busy.value) });
}

async function setKitchen(change) {
  const result = await Chaud.api("/kitchen/restaurant", { method: "PATCH", json: change });
  alertBar(result.ok ? "" : Chaud.problemText(result.body));
  loadKitchen();
}

async function loadMenu() {
  const result = await Chaud.api("/kitchen/dishes");
  if (!result.ok) return;
  const list = document.getElementById("menu-dishes");
  list.innerHTML = "";
  for (const dish of result.body) {
    const item = document.createElement("li");
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.dataset.dishId = dish.id;
    toggle.className = dish.available ? "available" : "sold-out";
    toggle.textContent = dish.name + (dish.available ? "" : " " + tr("(sold out)"));
    toggle.onclick = async () => {
      const done = await Chaud.api(`/kitchen/dishes/${dish.id}`, { method: "PATCH", json: { available: !dish.available } });
      alertBar(done.ok ? "" : Chaud.problemText(done.body));
      loadMenu();
    };
    item.appendChild(toggle);
    list.appendChild(item);
  }
}

function onKey(event) {
  const cards = [...document.querySelectorAll(".ticket")];
  const index = cards.findIndex((c) => Number(c.dataset.ticketId) === selected);
  if ((event.key === "ArrowRight" || event.key === "ArrowLeft") && cards.length) {
    const step = event.key === "ArrowRight" ? 1 : -1;
    const target = cards[(index + step + cards.length) % cards.length];
    target.focus();
    selected = Number(target.dataset.ticketId);
  } else if (event.key === "Enter" && index >= 0) {
    const ticket = tickets.get(selected);
    if (ticket && NEXT_ACTION[ticket.status]) command(NEXT_ACTION[ticket.status], selected);
  } else if (event.key === "r" || event.key === "R") {
    // Recall the last bumped ticket.
    const bumped = [...tickets.values()].filter((t) => t.status === "ready");
    if (bumped.length) command("recall", bumped[bumped.length - 1].ticket_id);
  }
}

// The kitchen's own statement, the figures the operator's reports page shows for it.
function statementPath(format) {
  const period = ChaudStatement.query(document.getElementById("statement-from").value, document.getElementById("statement-to").value);
  return `/kitchen/statement?format=${format}` + (period ? `&${period}` : "");
}

async function loadStatement() {
  const result = await Chaud.api(statementPath("json"));
  if (result.ok) ChaudStatement.render(document.getElementById("statement-table"), result.body);
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("station-filter").onchange = render;
  document.addEventListener("keydown", onKey);
  for (const link of document.querySelectorAll("[data-sign-out]")) {
    link.addEventListener("click", () => Chaud.setToken(null));
  }
  document.getElementById("menu-button").onclick = () => {
    const panel = document.getElementById("menu-panel");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) loadMenu();
  };
  document.getElementById("statement-button").onclick = () => {
    const panel = document.getElementById("statement-panel");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) loadStatement();
  };
  document.getElementById("statement-form").onsubmit = (event) => { event.preventDefault(); loadStatement(); };
  document.getElementById("statement-csv").onclick = () => Chaud.download(statementPath("csv"), "statement.csv");
  connect();
  loadKitchen();
  setInterval(() => {
    const silent = Date.now() - lastMessageAt > OFFLINE_AFTER_MS;
    document.getElementById("offline").hidden = refusedScreen || !(silent || !socket);
    render();
  }, 1000);
});
