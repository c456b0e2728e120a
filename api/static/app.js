// Chaud Devant customer site: a cart across kitchens kept in this browser, quotes and
// orders through the JSON API, and an order page that follows the order live.
"use strict";

const API = "/api/v1";
const CART_KEY = "chaud.cart";
const HOME_OF_ROLE = { operator: "/ops", kitchen: "/kitchen", courier: "/courier", relay: "/relay", customer: "/" };
const t = (message, values) => Chaud.t(message, values);  // the page's language
const STATUS_LABELS = {
  placed: t("Placed"), confirmed: t("Confirmed"), in_preparation: t("In preparation"),
  out_for_delivery: t("On its way"), delivered: t("Delivered"), cancelled: t("Cancelled"),
  at_relay: t("Ready at the relay point"), collected: t("Collected"),
};
const TICKET_LABELS = {
  new: t("waiting for the kitchen"), accepted: t("accepted"), preparing: t("cooking"), ready: t("ready"),
  picked_up: t("picked up"), refused: t("refused"), cancelled: t("cancelled"),
};

// Shared with every page (chaud.js): money, times in the alliance's zone, the API.
const euros = (cents) => Chaud.euros(cents);
const localTime = (iso) => Chaud.time(iso);
const api = (path, options = {}) => Chaud.api(path, options);

function loadCart() {
  try { return JSON.parse(localStorage.getItem(CART_KEY)) || { lines: [], key: null }; }
  catch { return { lines: [], key: null }; }
}
function saveCart(cart) {
  cart.key = null; // any change is a new order attempt, with a new idempotency key
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
  showCount();
}
function showCount() {
  const count = loadCart().lines.reduce((n, line) => n + line.quantity, 0);
  const badge = document.getElementById("cart-count");
  if (badge) badge.textContent = String(count);
}

// What each field the API names is called on the page, so a refusal reads "Phone: not a valid
// phone number" rather than "body.destination.phone".
const FIELD_LABELS = {
  lines: t("Cart"), destination: t("Delivery address"), "destination.house_number": t("Number"),
  "destination.floor": t("Floor"), "destination.door_code": t("Door code"), "destination.phone": t("Phone"),
  "destination.notes": t("Notes"), "destination.relay_point_id": t("Relay point"), deliver_at: t("When"),
  email: t("E-mail"), password: t("Password"), name: t("Name"),
};

function fieldLabel(field) {
  const path = (field || "").replace(/^body\./, "").replace(/\.\d+\./g, ".");
  return FIELD_LABELS[path] || FIELD_LABELS[path.split(".")[0]] || "";
}

function showProblems(body) {
  const box = document.getElementById("problems");
  if (!box) return;
  box.innerHTML = "";
  if (!body) return;
  // One paragraph per problem, worded as every page words them (chaud.js).
  for (const text of Chaud.problemText(body, fieldLabel).split("\n")) {
    const line = document.createElement("p");
    line.textContent = text;
    box.appendChild(line);
  }
}

// --- menu pages -------------------------------------------------------------------------
function setUpMenu() {
  for (const button of document.querySelectorAll("button.add")) {
    button.addEventListener("click", () => {
      const cart = loadCart();
      const dishId = Number(button.dataset.dishId);
      const line = cart.lines.find((l) => l.dish_id === dishId);
      if (line) line.quantity = Math.min(50, line.quantity + 1);
      else cart.lines.push({
        dish_id: dishId, quantity: 1, name: button.dataset.name,
        price_cents: Number(button.dataset.price), restaurant: button.dataset.restaurant,
      });
      saveCart(cart);
      const label = button.textContent;
      button.textContent = t("Added ✓");
      setTimeout(() => { button.textContent = label; }, 1200);
    });
  }
}

// --- cart page --------------------------------------------------------------------------
let chosenStreet = null;

function renderCart() {
  const list = document.getElementById("cart-lines");
  if (!list) return;
  const cart = loadCart();
  list.innerHTML = "";
  document.getElementById("cart-empty").hidden = cart.lines.length > 0;
  cart.lines.forEach((line, index) => {
    const item = document.createElement("li");
    item.className = "line";
    item.innerHTML = `<span class="qty"></span> <span class="name"></span> <small></small>
      <span class="steps"><button class="less" aria-label="one less">−</button><button class="more" aria-label="one more">+</button></span>
      <input class="note" maxlength="200">`;
    item.querySelector("input.note").placeholder = t("Note for the kitchen (no onions…)");
    const note = item.querySelector("input.note");
    note.value = line.note || "";
    // A changed note is a new order attempt: a new idempotency key, as for any change.
    note.onchange = () => { line.note = note.value; localStorage.setItem(CART_KEY, JSON.stringify({ ...cart, key: null })); };
    item.querySelector(".qty").textContent = line.quantity + " ×";
    item.querySelector(".name").textContent = line.name;
    item.querySelector("small").textContent = line.restaurant;
    item.querySelector(".less").onclick = () => {
      line.quantity -= 1;
      if (line.quantity <= 0) cart.lines.splice(index, 1);
      saveCart(cart); renderCart();
    };
    item.querySelector(".more").onclick = () => {
      line.quantity = Math.min(50, line.quantity + 1); saveCart(cart); renderCart();
    };
    list.appendChild(item);
  });
}

// The door's fields on the cart page and the API's names for them.
const DOOR_FIELDS = {
  "house-number": "house_number", floor: "floor", "door-code": "door_code", phone: "phone", "door-notes": "notes",
};

function doorDetails() {
  const door = {};
  for (const [id, name] of Object.entries(DOOR_FIELDS)) door[name] = document.getElementById(id).value.trim();
  return door;
}

function fillDoor(address) {
  const saved = { ...address, notes: address.instructions };
  for (const [id, name] of Object.entries(DOOR_FIELDS)) document.getElementById(id).value = saved[name] || "";
}

// Refused before asking the server, in the customer's words.
function cartProblem(body) {
  if (!body.lines.length) return t("Your cart is empty: add a dish from a kitchen first.");
  if (!body.destination) return t("Choose where to deliver: a saved address, a street from the list, or a relay point.");
  return null;
}

function cartRequest() {
  const cart = loadCart();
  const body = { lines: cart.lines.map((l) => ({ dish_id: l.dish_id, quantity: l.quantity, note: l.note || "" })) };
  const kind = document.querySelector("input[name=dest-kind]:checked").value;
  if (kind === "relay") {
    body.destination = { relay_point_id: Number(document.getElementById("relay-point").value) };
  } else {
    const saved = document.getElementById("saved-address");
    const option = saved.selectedOptions[0];
    if (option && option.value) {
      body.destination = { lat: Number(option.dataset.lat), lon: Number(option.dataset.lon), address: option.dataset.address };
    } else if (chosenStreet) {
      body.destination = { lat: chosenStreet.lat, lon: chosenStreet.lon, address: chosenStreet.name };
    } else {
      body.destination = null;
    }
    if (body.destination) Object.assign(body.destination, doorDetails());
  }
  const when = document.getElementById("deliver-at").value;
  body.deliver_at = when ? new Date(when).toISOString() : null;
  body.tip_cents = Number(document.getElementById("tip").value);
  body.payment_method = document.getElementById("payment-method").value;
  return body;
}

function renderQuote(quote) {
  const table = document.getElementById("quote-table");
  const rows = quote.lines.map((l) => [`${l.quantity} × ${l.dish_name}`, euros(l.line_total_cents)]);
  const fee = quote.fee;
  rows.push([t("Subtotal"), euros(quote.subtotal_cents)]);
  rows.push([t("Delivery: base"), euros(fee.base_cents)]);
  if (fee.extra_restaurants) rows.push([t("Delivery: {n} extra kitchen(s)", { n: fee.extra_restaurants }), euros(fee.extra_restaurants_cents)]);
  if (fee.extra_distance_m) rows.push([t("Delivery: {m} m extra ride", { m: fee.extra_distance_m }), euros(fee.extra_distance_cents)]);
  if (quote.tip_cents) {
    rows.push([t("Tip for the courier"), euros(quote.tip_cents)]);
  }
  rows.push([t("Total"), euros(quote.total_cents + quote.tip_cents)]);
  if (quote.voucher_cents) rows.push([t("of which in meal vouchers, at most"), euros(quote.voucher_cents)]);
  const to = quote.destination;
  rows.push([t("Deliver to"), [to.house_number, to.address].filter(Boolean).join(" ") +
    (to.floor ? ", " + t("floor {floor}", { floor: to.floor }) : "") + (to.door_code ? ", " + t("code {code}", { code: to.door_code }) : "")]);
  rows.push([t("Estimated delivery"), localTime(quote.estimated_delivery_at)]);
  table.innerHTML = "";
  for (const [label, value] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = label;
    tr.insertCell().textContent = value;
  }
  document.getElementById("quote").hidden = false;
}

// How sure the door's pin is, in words the customer can act on.
const PRECISION = {
  exact: t("Door found."),
  interpolated: t("Door placed between known numbers of the street."),
  estimated: t("Door placed by the street's numbering: add a note if the entrance is elsewhere."),
};

function showPrecision(match) {
  const hint = document.getElementById("door-precision");
  hint.textContent = (match && PRECISION[match.precision]) || "";
}

// What a guest chose as destination survives the detour through signing in.
const DESTINATION_KEY = "chaud.destination";

function keepDestination() {
  const form = {
    kind: document.querySelector("input[name=dest-kind]:checked").value,
    street: chosenStreet, door: doorDetails(),
    relay: document.getElementById("relay-point").value,
    when: document.getElementById("deliver-at").value,
  };
  sessionStorage.setItem(DESTINATION_KEY, JSON.stringify(form));
}

function restoreDestination() {
  let form = null;
  try { form = JSON.parse(sessionStorage.getItem(DESTINATION_KEY)); } catch { form = null; }
  sessionStorage.removeItem(DESTINATION_KEY);
  if (!form) return false;
  document.querySelector(`input[name=dest-kind][value=${form.kind === "relay" ? "relay" : "address"}]`).checked = true;
  if (form.street) { chosenStreet = form.street; document.getElementById("street").value = form.street.name; }
  fillDoor({ ...form.door, instructions: form.door.notes });
  if (form.relay) document.getElementById("relay-point").value = form.relay;
  document.getElementById("deliver-at").value = form.when || "";
  return true;
}

async function setUpCart() {
  renderCart();
  const restored = restoreDestination();
  const addresses = await api("/me/addresses");
  const saved = document.getElementById("saved-address");
  if (addresses.ok) {
    for (const a of addresses.body) {
      const option = new Option(`${a.label} — ${a.address}`, String(a.id));
      Object.assign(option.dataset, { lat: a.lat, lon: a.lon, address: a.address });
      saved.appendChild(option);
    }
    const pick = () => {
      const chosen = addresses.body.find((a) => String(a.id) === saved.value);
      if (chosen) { fillDoor(chosen); document.getElementById("street").value = ""; chosenStreet = null; }
    };
    saved.addEventListener("change", pick);
    if (addresses.body.length && !restored) { saved.selectedIndex = 1; pick(); }
  }
  const street = document.getElementById("street");
  const options = document.getElementById("street-options");
  let found = [];
  street.addEventListener("input", async () => {
    // A street typed here is where the customer wants it: not the saved address still selected.
    if (saved.value) { saved.value = ""; fillDoor({}); }
    // "12 rue Oberkampf" finds the door; "rue Oberk" the street (the number comes apart).
    const match = found.find((m) => m.label === street.value);
    chosenStreet = match ? { name: match.street, lat: match.lat, lon: match.lon } : null;
    showPrecision(match);
    if (match) {
      if (match.house_number) { document.getElementById("house-number").value = match.house_number; street.value = match.street; }
      return;
    }
    if (street.value.length < 2) return;
    const response = await api("/geo/addresses?q=" + encodeURIComponent(street.value));
    found = response.ok ? response.body : [];
    options.innerHTML = "";
    for (const m of found) options.appendChild(new Option(m.label));
  });
  document.getElementById("quote-button").addEventListener("click", async () => {
    showProblems(null);
    const request = cartRequest();
    const problem = cartProblem(request);
    if (problem) { document.getElementById("quote").hidden = true; showProblems({ detail: problem }); return; }
    const response = await api("/quotes", { method: "POST", json: request });
    if (!response.ok) { document.getElementById("quote").hidden = true; showProblems(response.body); return; }
    renderQuote(response.body);
  });
  document.getElementById("order-button").addEventListener("click", async () => {
    const cart = loadCart();
    cart.key = cart.key || crypto.randomUUID();
    localStorage.setItem(CART_KEY, JSON.stringify(cart)); // keep the key for retries
    const response = await api("/orders", {
      method: "POST", json: cartRequest(), headers: { "Idempotency-Key": cart.key },
    });
    if (response.status === 401) { keepDestination(); location.href = "/login?next=/cart"; return; }
    if (!response.ok) { showProblems(response.body); return; }
    localStorage.removeItem(CART_KEY);
    location.href = "/orders/" + response.body.id;
  });
}

// --- sign-in ----------------------------------------------------------------------------
// Where to go once signed in: a path on this site, nothing else. "javascript:…" would run in
// this page (next to the token), and "https://…" or "//host" would leave the site.
function sameSitePath(value) {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  const target = new URL(value, location.origin);
  // The whole URL, not its path: "/.//host" resolves to the path "//host", which would leave.
  return target.origin === location.origin ? target.href : "/";
}

function setUpLogin() {
  const next = new URLSearchParams(location.search).get("next");
  if (next) document.getElementById("signup-instead").href = "/signup?next=" + encodeURIComponent(next);
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const response = await fetch(API + "/auth/token", { method: "POST", body: new URLSearchParams(form) });
    const body = await response.json();
    if (!response.ok) { showProblems(body); return; }
    Chaud.setToken(body.access_token);
    const next = new URLSearchParams(location.search).get("next");
    if (next) { location.assign(sameSitePath(next)); return; }
    // No page asked for: each role's own home (the operator's board, the kitchen's screen…).
    const me = await api("/me");
    location.assign(HOME_OF_ROLE[me.ok && me.body.role] || "/");
  });
}

// --- sign-up, account, order history ------------------------------------------------------
function setUpSignup() {
  const next = new URLSearchParams(location.search).get("next");
  if (next) document.getElementById("signin-instead").href = "/login?next=" + encodeURIComponent(next);
  document.getElementById("signup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const created = await api("/auth/signup", { method: "POST", json: Object.fromEntries(form) });
    if (!created.ok) { showProblems(created.body); return; }
    const signIn = new URLSearchParams({ username: form.get("email"), password: form.get("password") });
    const response = await fetch(API + "/auth/token", { method: "POST", body: signIn });
    const body = await response.json();
    if (!response.ok) { showProblems(body); return; }
    Chaud.setToken(body.access_token);
    location.assign(sameSitePath(next || "/"));
  });
}

async function setUpAccount() {
  const me = await api("/me");
  if (!me.ok) { document.getElementById("account-signin").hidden = false; return; }
  document.getElementById("account").hidden = false;
  document.getElementById("account-who").textContent = `${me.body.name} · ${me.body.email}`;
  const on = document.getElementById("mails-on"), language = document.getElementById("mail-language");
  // Not to be changed before the saved choice is read and its saving wired: a click in
  // between was undone by the read and never saved.
  on.disabled = language.disabled = true;
  const preferences = await api("/me/preferences");
  if (preferences.ok) { on.checked = preferences.body.email_notifications; language.value = preferences.body.language; }
  const save = async () => {
    const saved = await api("/me/preferences", { method: "PATCH", json: { email_notifications: on.checked, language: language.value } });
    document.getElementById("preferences-saved").hidden = !saved.ok;
    if (!saved.ok) showProblems(saved.body);
  };
  on.onchange = save;
  language.onchange = save;
  on.disabled = language.disabled = false;
  const list = document.getElementById("addresses");
  const addresses = await api("/me/addresses");
  for (const a of addresses.ok ? addresses.body : []) {
    const item = document.createElement("li");
    item.className = "line";
    const text = document.createElement("span");
    text.textContent = `${a.label}: ${[a.house_number, a.address].filter(Boolean).join(" ")}` +
      (a.door_code ? ", " + t("code {code}", { code: a.door_code }) : "");
    const remove = document.createElement("button");
    remove.textContent = t("Remove");
    remove.onclick = async () => { if ((await api(`/me/addresses/${a.id}`, { method: "DELETE" })).ok) item.remove(); };
    item.append(text, remove);
    list.appendChild(item);
  }
  document.getElementById("sign-out-button").onclick = () => { Chaud.setToken(null); location.assign("/"); };
}

async function setUpOrders() {
  const result = await api("/orders?limit=50");
  if (!result.ok) { document.getElementById("orders-signin").hidden = false; return; }
  document.getElementById("orders-empty").hidden = result.body.length > 0;
  const table = document.getElementById("orders-table");
  table.hidden = result.body.length === 0;
  const rows = table.querySelector("tbody");
  for (const order of result.body) {
    const row = rows.insertRow();
    const link = document.createElement("a");
    link.href = "/orders/" + order.id;
    link.textContent = "#" + order.id;
    row.insertCell().appendChild(link);
    row.insertCell().textContent = new Date(order.placed_at).toLocaleDateString("en-GB", { timeZone: document.documentElement.dataset.timezone }) + " " + localTime(order.placed_at);
    row.insertCell().textContent = STATUS_LABELS[order.status] || order.status;
    row.insertCell().textContent = euros(order.total_cents);
  }
}

// --- order page -------------------------------------------------------------------------
let orderMap = null;
let orderLayers = null;

async function setUpOrderMap() {
  orderMap = await Chaud.streetsMap("order-map");
  orderLayers = L.layerGroup().addTo(orderMap);
  document.body.dataset.map = "ready";
}

function drawOrder(order) {
  if (!orderLayers) return;
  orderLayers.clearLayers();
  const svg = L.svg();
  const to = order.destination;
  const points = [[to.lat, to.lon]];
  L.circleMarker([to.lat, to.lon], { renderer: svg, radius: 8, color: "#fff", weight: 2, fillColor: "#1e9d4a", fillOpacity: 1, className: "destination" })
    .bindTooltip(to.kind === "relay_point" ? to.relay_point_name : t("Your door")).addTo(orderLayers);
  if (order.courier) {
    L.circleMarker([order.courier.lat, order.courier.lon], { renderer: svg, radius: 8, color: "#fff", weight: 2, fillColor: "#c2410c", fillOpacity: 1, className: "courier" })
      .bindTooltip(t("Your courier, at {time}", { time: Chaud.time(order.courier.at) })).addTo(orderLayers);
    points.push([order.courier.lat, order.courier.lon]);
  }
  orderMap.fitBounds(points, { padding: [40, 40], maxZoom: 16 });
}

// The receipt is the customer's alone: fetched with the token, then saved as a file.
async function downloadReceipt(orderId) {
  if (!(await Chaud.download(`/orders/${orderId}/receipt?format=pdf`, `receipt-${orderId}.pdf`))) {
    showProblems({ detail: t("The receipt could not be downloaded, please try again.") });
  }
}

async function followOrder(orderId) {
  const response = await api("/orders/" + orderId);
  if (response.status === 401) { location.href = "/login?next=/orders/" + orderId; return; }
  if (!response.ok) { showProblems(response.body); return; }
  const order = response.body;
  document.getElementById("order-status").textContent = STATUS_LABELS[order.status] || order.status;
  // The estimate stops once the food has arrived: then it is the real time.
  const eta = document.getElementById("order-eta");
  eta.previousSibling.textContent = order.delivered_at
    ? (order.destination.kind === "relay_point" ? t("At the shop since:") + " " : t("Delivered at:") + " ")
    : t("Estimated delivery:") + " ";
  eta.textContent = order.status === "cancelled" ? "—"
    : localTime(order.delivered_at || order.estimated_delivery_at || order.promised_at);
  const tickets = document.getElementById("order-tickets");
  tickets.innerHTML = "";
  for (const ticket of order.tickets) {
    const item = document.createElement("li");
    item.textContent = `${ticket.restaurant_name}: ${TICKET_LABELS[ticket.status] || ticket.status}` +
      (ticket.refuse_reason ? ` (${ticket.refuse_reason})` : "");
    tickets.appendChild(item);
  }
  const timeline = document.getElementById("order-timeline");
  timeline.innerHTML = "";
  for (const entry of order.timeline) {
    const item = document.createElement("li");
    item.textContent = `${localTime(entry.at)} ${STATUS_LABELS[entry.status]}` + (entry.note ? ` — ${entry.note}` : "");
    timeline.appendChild(item);
  }
  document.getElementById("order-total").textContent = t("Total:") + " " + euros(order.total_cents) +
    (order.tip_cents ? " + " + t("Tip for the courier") + " " + euros(order.tip_cents) : "");
  drawOrder(order);
  const code = document.getElementById("relay-code");
  if (order.relay_code) { code.hidden = false; code.querySelector("strong").textContent = order.relay_code; }
  const relay = document.getElementById("relay-point");
  if (order.destination.kind === "relay_point") {
    relay.hidden = false;
    relay.textContent = t("Collect at {place}, open {hours}", { place: order.destination.address, hours: order.destination.relay_hours });
  }
  document.getElementById("receipt-button").onclick = () => downloadReceipt(orderId);
  const cancel = document.getElementById("cancel-button");
  cancel.hidden = !["placed", "confirmed"].includes(order.status);
  cancel.onclick = async () => {
    const result = await api(`/orders/${orderId}/cancel`, { method: "POST" });
    if (!result.ok) showProblems(result.body);
    followOrder(orderId);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  showCount();
  for (const link of document.querySelectorAll("[data-sign-out]")) {
    link.addEventListener("click", () => Chaud.setToken(null));
  }
  if (Chaud.token()) {
    const link = document.getElementById("login-link");
    if (link) { link.textContent = t("Account"); link.href = "/account"; }
  }
  if (document.querySelector("button.add")) setUpMenu();
  if (document.getElementById("cart-lines")) setUpCart();
  if (document.getElementById("login-form")) setUpLogin();
  if (document.getElementById("signup-form")) setUpSignup();
  if (document.getElementById("account")) setUpAccount();
  if (document.getElementById("orders-table")) setUpOrders();
  const order = document.getElementById("order");
  if (order) {
    const id = order.dataset.orderId;
    // Each change of the order, and each move of its courier, comes over the order's feed.
    setUpOrderMap().then(() => followOrder(id));
    Chaud.follow(`/orders/${id}/ws`, () => followOrder(id));
  }
});
