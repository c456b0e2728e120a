// The kitchen screen: live tickets over a websocket, resumed by sequence number, with
// commands queued while offline and replayed (once each) on return.
"use strict";

const TOKEN_KEY = "chaud.token";
const SEQ_KEY = "chaud.kitchen.seq";
const QUEUE_KEY = "chaud.kitchen.commands";
const OFFLINE_AFTER_MS = 25000;  // heartbeats come every 12 s
const WARN_LATE_MS = 3 * 60 * 1000;
const NEXT_ACTION = { new: "accept", accepted: "start", preparing: "bump" };
const ACTION_LABEL = { accept: "Accept", start: "Start", bump: "Bump" };
const CLOSED = new Set(["picked_up", "refused", "cancelled"]);

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
    document.getElementById("signin").hidden = false;
  }
  if (message.type === "heartbeat" && socket.catchingUp) socket.catchingUp = false;
  if (seq !== null) localStorage.setItem(SEQ_KEY, String(seq));
  render();
}

function connect() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) { document.getElementById("signin").hidden = false; return; }
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
    if (event.code === 4401) { document.getElementById("signin").hidden = false; return; }
    setTimeout(connect, 1000 + Math.random() * 2000);
  };
}

function minutes(ms) {
  const sign = ms < 0 ? "-" : "";
  const total = Math.floor(Math.abs(ms) / 1000);
  return `${sign}${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
}

function card(ticket, now, station, pendingFor) {
  const lines = ticket.lines.filter((l) => !station || l.station === station);
  if (station && !lines.length) return null;
  const age = now - new Date(ticket.created_at).getTime();
  const target = ticket.prep_minutes * 60000;
  const el = document.createElement("article");
  el.className = "ticket" + (age > target + WARN_LATE_MS ? " late" : age > target ? " warn" : "");
  if (ticket.flashUntil && ticket.flashUntil > now) el.classList.add("flash");
  if (selected === ticket.ticket_id) el.classList.add("selected");
  el.tabIndex = 0;
  el.dataset.ticketId = ticket.ticket_id;
  const start = ticket.start_cooking_at ? new Date(ticket.start_cooking_at).getTime() : null;
  el.innerHTML = `<h3><span>#${ticket.order_id}</span><span class="age">${minutes(age)}</span></h3>
    <div class="status">${ticket.status.replace("_", " ")}</div>
    <div class="times">
      ${start && ["new", "accepted"].includes(ticket.status) ? `<div class="start">Start in <b>${minutes(start - now)}</b></div>` : ""}
      <div class="courier">${ticket.pickup_eta ? `Courier at ${hhmm(ticket.pickup_eta)}` : "No courier yet"}</div>
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
    actions.innerHTML = `<span class="pending">Sending…</span>`;
  } else {
    if (next) {
      const button = document.createElement("button");
      button.className = next === "bump" ? "bump" : "next";
      button.textContent = ACTION_LABEL[next];
      button.onclick = () => command(next, ticket.ticket_id);
      actions.appendChild(button);
    }
  }
  el.onfocus = () => { selected = ticket.ticket_id; };
  return el;
}

function render() {
  const now = Date.now();
  const station = document.getElementById("station-filter").value;
  const pendingFor = new Set(pendingCommands().map((c) => c.ticket_id));
  const board = document.getElementById("board");
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.ticketId : null;
  board.innerHTML = "";
  // Bumped (ready) tickets leave the board and wait for their courier in the side list.
  const open = [...tickets.values()].filter((t) => t.status !== "ready")
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.ticket_id - b.ticket_id);
  for (const ticket of open) {
    const el = card(ticket, now, station, pendingFor);
    if (el) board.appendChild(el);
  }
  const waiting = document.getElementById("bumped");
  waiting.innerHTML = "";
  for (const ticket of [...tickets.values()].filter((t) => t.status === "ready")) {
    const item = document.createElement("li");
    item.innerHTML = `<span></span><button class="recall">Recall</button>`;
    item.querySelector("span").textContent =
      `#${ticket.order_id} ` + (ticket.pickup_eta ? `courier ${hhmm(ticket.pickup_eta)}` : "no courier yet");
    const button = item.querySelector("button");
    button.disabled = pendingFor.has(ticket.ticket_id);
    button.onclick = () => command("recall", ticket.ticket_id);
    waiting.appendChild(item);
  }
  if (focused) {
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
  document.getElementById("clock").textContent = new Date().toLocaleTimeString("fr-FR");
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

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("station-filter").onchange = render;
  document.addEventListener("keydown", onKey);
  connect();
  setInterval(() => {
    const silent = Date.now() - lastMessageAt > OFFLINE_AFTER_MS;
    document.getElementById("offline").hidden = !(silent || !socket);
    render();
  }, 1000);
});
