// The operator's live board: the board's rows over /ops/ws (resumed by sequence number), the
// map (Leaflet, the bundled streets as a vector layer), alerts that ring, and the steps.
"use strict";

const OPS_API = "/api/v1/ops";
const tr = (message, values) => Chaud.t(message, values);  // the page's language
const STATE_LABELS = {
  waiting_for_kitchen: tr("waiting for a kitchen"), cooking: tr("cooking"),
  waiting_for_courier: tr("waiting for a courier"), out: tr("out"), delivered: tr("delivered"),
  cancelled: tr("cancelled"),
};
const ENDED = new Set(["delivered", "cancelled"]);
const RECENT_MS = 15 * 60 * 1000;

const board = { seqs: null, orders: new Map(), couriers: new Map(), kitchens: new Map(), relays: [] };
const raised = new Set(); // alerts already rung, by kind, subject and time
const dismissed = new Set();
let map = null;
let layers = null;
let socket = null;
let retryMs = 500;

const time = (iso) => (iso ? Chaud.time(iso) : "–");  // in the alliance's zone
const el = (tag, text, cls) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
};

// --- the live connection -----------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ops/ws");
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ type: "hello", token: Chaud.token(), since: board.seqs }));
  });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", (event) => {
    setLive(false);
    if (event.code === 4401) { document.getElementById("ops-signin").hidden = false; return; }
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  });
}

function setLive(live) {
  const state = document.getElementById("live-state");
  state.textContent = live ? tr("live") : tr("reconnecting…");
  state.className = "live-state " + (live ? "on" : "off");
  document.body.dataset.live = live ? "yes" : "no";
}

function receive(message) {
  if (message.type === "snapshot") {
    const snapshot = message.board;
    board.orders = new Map(snapshot.orders.map((o) => [o.id, o]));
    board.couriers = new Map(snapshot.couriers.map((c) => [c.id, c]));
    board.kitchens = new Map(snapshot.kitchens.map((k) => [k.id, k]));
    board.relays = snapshot.relay_points;
    board.seqs = message.seqs;
  } else if (message.type === "event") {
    board.seqs[message.channel] = message.seq;
    apply(message);
    soonPool();
  } else if (message.type === "heartbeat") {
    retryMs = 500;
  } else if (message.type === "error") {
    document.getElementById("ops-signin").hidden = false;
    return;
  }
  setLive(true);
  document.body.dataset.seq = String(Object.values(board.seqs).reduce((a, b) => a + b, 0));
  render();
}

function apply(event) {
  const payload = event.payload;
  if (event.kind === "board.rows") {
    for (const order of payload.orders) board.orders.set(order.id, order);
    for (const courier of payload.couriers) board.couriers.set(courier.id, courier);
    for (const kitchen of payload.kitchens) board.kitchens.set(kitchen.id, kitchen);
  } else if (event.kind === "relay.code_locked") {
    const order = board.orders.get(payload.order_id);
    if (order) order.alerts.push({ kind: "code_locked", at: event.at, subject: "order:" + payload.order_id,
      text: tr("Order #{id}: the parcel at the relay shop is locked after wrong codes", { id: payload.order_id }) });
  }
}

// --- alerts ------------------------------------------------------------------------------
function activeAlerts() {
  const now = Date.now();
  const alerts = [];
  for (const order of board.orders.values()) {
    // An ended order keeps only what is left to review: a step its courier took off site.
    const kept = ENDED.has(order.board_state) ? order.alerts.filter((a) => a.kind === "off_site") : order.alerts;
    for (const alert of kept) if (Date.parse(alert.at) <= now) alerts.push(alert);
  }
  for (const courier of board.couriers.values()) {
    if (!courier.on_shift) continue;
    for (const alert of courier.alerts) if (Date.parse(alert.at) <= now) alerts.push(alert);
  }
  return alerts.filter((a) => !dismissed.has(alertKey(a)));
}
const alertKey = (a) => `${a.kind}|${a.subject}|${a.at}`;

function ring() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch { /* no sound before the page was touched: the badge still shows */ }
}

function renderAlerts() {
  const alerts = activeAlerts();
  const list = document.getElementById("alert-list");
  list.replaceChildren();
  let fresh = false;
  for (const alert of alerts) {
    if (!raised.has(alertKey(alert))) { raised.add(alertKey(alert)); fresh = true; }
    const item = el("li", "", "alert " + alert.kind);
    item.dataset.kind = alert.kind;
    item.dataset.subject = alert.subject;
    const link = el("a", alert.text);
    link.href = "#" + alert.subject.replace(":", "-");
    link.addEventListener("click", () => focusOn(alert.subject));
    const dismiss = el("button", "✓", "dismiss");
    dismiss.title = tr("Seen");
    dismiss.addEventListener("click", () => { dismissed.add(alertKey(alert)); render(); });
    item.append(link, dismiss);
    list.append(item);
  }
  const badge = document.getElementById("alert-badge");
  badge.textContent = String(alerts.length);
  badge.className = "badge" + (alerts.length ? " hot" : "");
  document.getElementById("alerts").hidden = alerts.length === 0;
  if (fresh) ring();
}

function focusOn(subject) {
  const [kind, id] = subject.split(":");
  const row = document.getElementById(kind + "-" + id);
  if (row) { row.classList.add("focus"); setTimeout(() => row.classList.remove("focus"), 2000); }
  const thing = kind === "order" ? board.orders.get(Number(id)) : board.couriers.get(Number(id));
  if (map && thing && thing.lat != null) map.setView([thing.lat, thing.lon], 16);
}

// --- the lists ---------------------------------------------------------------------------
function isLate(order) {
  const now = Date.now();
  return order.alerts.some((a) => a.kind === "late" && Date.parse(a.at) <= now);
}

function shownOrders() {
  const filter = document.getElementById("order-filter").value;
  const now = Date.now();
  return [...board.orders.values()]
    .filter((o) => !ENDED.has(o.board_state))
    .filter((o) => filter === "open" || (filter === "late" ? isLate(o)
      : filter === "recent" ? now - Date.parse(o.placed_at) <= RECENT_MS : o.board_state === filter))
    .sort((a, b) => a.id - b.id);
}

function courierName(id) {
  const courier = board.couriers.get(id);
  return courier ? courier.name : id == null ? tr("nobody") : tr("courier {id}", { id });
}

function renderOrders() {
  const list = document.getElementById("order-list");
  list.replaceChildren();
  for (const order of shownOrders()) {
    const item = el("li", "", "row order " + order.board_state + (isLate(order) ? " late" : ""));
    item.id = "order-" + order.id;
    item.dataset.state = order.board_state;
    const kitchens = order.tickets.map((t) => `${t.restaurant_name} (${t.status})`).join(", ");
    item.append(
      el("strong", `#${order.id}`),
      el("span", STATE_LABELS[order.board_state], "state"),
      el("span", kitchens, "kitchens"),
      el("span", tr("courier: {name}", { name: courierName(order.courier_id) }) + (order.pinned_courier_id ? " " + tr("(pinned)") : ""), "courier"),
      el("span", tr("ETA {eta} · promised {promised}", { eta: time(order.estimated_delivery_at), promised: time(order.promised_at) }), "times"),
    );
    if (order.unplaced_reason) item.append(el("span", order.unplaced_reason.replaceAll("_", " "), "why"));
    const actions = el("span", "", "actions");
    actions.append(button(tr("Assign"), () => openStep("assign", order)));
    if (order.pinned_courier_id) actions.append(button(tr("Unpin"), () => openStep("unpin", order)));
    actions.append(button(tr("Cancel"), () => openStep("cancel", order)));
    item.append(actions);
    list.append(item);
  }
}

function renderCouriers() {
  const list = document.getElementById("courier-list");
  list.replaceChildren();
  const hideIdle = document.getElementById("hide-idle").checked;
  for (const courier of [...board.couriers.values()].sort((a, b) => a.id - b.id)) {
    if (!courier.on_shift || (hideIdle && !courier.stops.length)) continue;
    const item = el("li", "", "row courier");
    item.id = "courier-" + courier.id;
    const stale = courier.alerts.some((a) => Date.parse(a.at) <= Date.now());
    const next = courier.stops.slice(0, 3)
      .map((s) => (s.kind === "pickup" ? tr("collect #{id} {time}", { id: s.order_id, time: time(s.eta) })
        : tr("deliver #{id} {time}", { id: s.order_id, time: time(s.eta) }))).join(" → ");
    item.append(
      el("strong", courier.name),
      el("span", courier.vehicle, "vehicle"),
      el("span", stale ? tr("position stale") : tr("seen {time}", { time: time(courier.position_at) }), stale ? "stale" : "seen"),
      el("span", next || tr("no stop"), "next"),
    );
    const actions = el("span", "", "actions");
    if (courier.stops.length) actions.append(button(tr("Move stops"), () => openStep("move", courier)));
    actions.append(button(tr("End shift"), () => openStep("end", courier)));
    item.append(actions);
    list.append(item);
  }
}

function renderKitchens() {
  const list = document.getElementById("kitchen-list");
  list.replaceChildren();
  for (const kitchen of [...board.kitchens.values()].sort((a, b) => a.id - b.id)) {
    const item = el("li", "", "row kitchen" + (kitchen.paused ? " paused" : ""));
    item.id = "restaurant-" + kitchen.id;
    item.append(
      el("strong", kitchen.name),
      el("span", kitchen.paused ? tr("paused") : tr("open"), "state"),
      el("span", tr("{open} open tickets, {waiting} to accept", { open: kitchen.open_tickets, waiting: kitchen.waiting_tickets }), "load"),
      el("span", kitchen.busy_extra_minutes ? tr("+{n} min busy", { n: kitchen.busy_extra_minutes }) : "", "busy"),
    );
    const actions = el("span", "", "actions");
    actions.append(button(kitchen.paused ? tr("Resume") : tr("Pause"), () => openStep(kitchen.paused ? "resume" : "pause", kitchen)));
    actions.append(button(tr("Busy…"), () => openStep("busy", kitchen)));
    item.append(actions);
    list.append(item);
  }
}

function button(text, action) {
  const node = el("button", text);
  node.type = "button";
  node.addEventListener("click", action);
  return node;
}

// --- the map -----------------------------------------------------------------------------
async function setUpMap() {
  map = await Chaud.streetsMap("ops-map");  // the one street map of every page
  legend().addTo(map);
  layers = L.layerGroup().addTo(map);
  document.body.dataset.map = "ready";
  render();
}

function legend() {
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => {
    const box = el("div", "", "map-legend");
    for (const [cls, text] of [["kitchen", tr("kitchen")], ["courier", tr("courier")], ["stale", tr("courier, position stale")],
      ["door", tr("order's door")], ["late", tr("late order")], ["relay", tr("relay point")], ["round", tr("round")]]) {
      const line = el("div");
      line.append(el("span", "", "swatch " + cls), el("span", text));
      box.append(line);
    }
    return box;
  };
  return control;
}

function renderMap() {
  if (!layers) return;
  layers.clearLayers();
  const now = Date.now();
  for (const relay of board.relays) {
    L.circleMarker([relay.lat, relay.lon], { radius: 5, color: "#7048e8", fillOpacity: 0.8 })
      .bindTooltip(tr("Relay: {name}", { name: relay.name })).addTo(layers);
  }
  for (const kitchen of board.kitchens.values()) {
    L.circleMarker([kitchen.lat, kitchen.lon], { radius: 7, color: kitchen.paused ? "#868e96" : "#d9480f", fillOpacity: 0.9 })
      .bindTooltip(tr("{name}: {n} tickets", { name: kitchen.name, n: kitchen.open_tickets })).addTo(layers);
  }
  for (const order of board.orders.values()) {
    if (ENDED.has(order.board_state)) continue;
    L.circleMarker([order.lat, order.lon], { radius: 4, color: isLate(order) ? "#e03131" : "#1971c2", fillOpacity: 0.9, className: "door" })
      .bindTooltip(tr("Order #{id}: {state}", { id: order.id, state: STATE_LABELS[order.board_state] })).addTo(layers);
  }
  for (const courier of board.couriers.values()) {
    if (!courier.on_shift || courier.lat == null) continue;
    const stale = courier.alerts.some((a) => Date.parse(a.at) <= now);
    if (courier.stops.length) {
      const path = [[courier.lat, courier.lon], ...courier.stops.map((s) => [s.lat, s.lon])];
      L.polyline(path, { color: "#2f9e44", weight: 3, opacity: 0.8 }).addTo(layers);
    }
    L.circleMarker([courier.lat, courier.lon], { radius: 8, color: stale ? "#868e96" : "#2f9e44", fillOpacity: stale ? 0.3 : 0.9, dashArray: stale ? "3" : null })
      .bindTooltip(courier.name + (stale ? " " + tr("(position stale)") : "")).addTo(layers);
  }
}

// --- steps -------------------------------------------------------------------------------
let step = null;

function openStep(kind, thing) {
  step = { kind, thing };
  const titles = {
    assign: tr("Assign order #{id}", { id: thing.id }), unpin: tr("Unpin order #{id}", { id: thing.id }),
    cancel: tr("Cancel order #{id}", { id: thing.id }), move: tr("Move {name}'s stops", { name: thing.name }),
    end: tr("End {name}'s shift", { name: thing.name }), pause: tr("Pause {name}", { name: thing.name }),
    resume: tr("Resume {name}", { name: thing.name }), busy: tr("Busy minutes for {name}", { name: thing.name }),
  };
  document.getElementById("step-title").textContent = titles[kind];
  const select = document.getElementById("step-courier");
  select.replaceChildren();
  for (const courier of board.couriers.values()) {
    if (!courier.on_shift || (kind === "move" && courier.id === thing.id)) continue;
    const option = el("option", courier.name);
    option.value = String(courier.id);
    select.append(option);
  }
  document.getElementById("step-courier-field").hidden = !["assign", "move"].includes(kind);
  document.getElementById("step-pin-field").hidden = kind !== "assign";
  document.getElementById("step-fault-field").hidden = kind !== "cancel";
  document.getElementById("step-busy-field").hidden = kind !== "busy";
  document.getElementById("step-reason").value = "";
  document.getElementById("step-problems").textContent = "";
  document.getElementById("step-dialog").showModal();
}

async function submitStep(event) {
  event.preventDefault();
  const { kind, thing } = step;
  const reason = document.getElementById("step-reason").value;
  const courierId = Number(document.getElementById("step-courier").value);
  const requests = {
    assign: [`/orders/${thing.id}/assign`, { courier_id: courierId, pin: document.getElementById("step-pin").checked, reason }],
    unpin: [`/orders/${thing.id}/unpin`, { reason }],
    cancel: [`/orders/${thing.id}/cancel`, { reason, fault: document.getElementById("step-fault").value }],
    move: [`/couriers/${thing.id}/move-stops`, { to_courier_id: courierId, reason }],
    end: [`/couriers/${thing.id}/end-shift`, { reason }],
    pause: [`/kitchens/${thing.id}/pace`, { paused: true, reason }],
    resume: [`/kitchens/${thing.id}/pace`, { paused: false, reason }],
    busy: [`/kitchens/${thing.id}/pace`, { busy_extra_minutes: Number(document.getElementById("step-busy").value || 0), reason }],
  };
  const [path, body] = requests[kind];
  const result = await Chaud.api("/ops" + path, { method: "POST", json: body });
  if (result.ok) { document.getElementById("step-dialog").close(); return; }
  document.getElementById("step-problems").textContent = Chaud.problemText(result.body, (field) => field);
}

// --- the whole ---------------------------------------------------------------------------
// The couriers' load, as the quotes read it: from the dispatcher's last plans. Read again when
// the board moves (at most every few seconds) and every half minute.
let poolTimer = null;
function soonPool() {
  if (poolTimer === null) poolTimer = setTimeout(() => { poolTimer = null; renderPool(); }, 2000);
}

async function renderPool() {
  const result = await Chaud.api("/ops/pool");
  if (!result.ok) return;
  const load = result.body;
  const line = document.getElementById("pool-load");
  const parts = [tr("open orders: {n}", { n: load.open_orders })];
  if (load.without_courier) parts.push(tr("without a courier: {n}", { n: load.without_courier }));
  parts.push(load.delay_minutes
    ? tr("quotes promise {n} min later than the kitchens allow", { n: load.delay_minutes })
    : tr("the couriers keep up with the kitchens"));
  line.textContent = parts.join(" · ");
  line.classList.toggle("busy", load.delay_minutes > 0);
}

function render() {
  renderOrders();
  renderCouriers();
  renderKitchens();
  renderAlerts();
  renderMap();
}

document.addEventListener("DOMContentLoaded", () => {
  if (!Chaud.token()) { location.href = "/login?next=/ops"; return; }
  document.getElementById("order-filter").addEventListener("change", render);
  document.getElementById("hide-idle").addEventListener("change", render);
  document.getElementById("alerts-toggle").addEventListener("click", () => {
    const box = document.getElementById("alerts");
    box.hidden = !box.hidden;
  });
  document.getElementById("step-form").addEventListener("submit", submitStep);
  document.getElementById("step-cancel").addEventListener("click", () => document.getElementById("step-dialog").close());
  setUpMap();
  connect();
  // Alerts come due as time passes, with no event: look again every few seconds.
  setInterval(renderAlerts, 5000);
  renderPool();
  setInterval(renderPool, 30000);
});
