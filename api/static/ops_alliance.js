// The alliance, managed by its operator: restaurants, hours, dishes, and people.
"use strict";

// In a function of its own: the site's app.js shares the page's global names.
(() => {

const A_API = "/api/v1/ops";
let restaurants = [];
let selected = null;

async function call(path, options = {}) {
  const headers = { Authorization: "Bearer " + Chaud.token() };
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  if (options.csv !== undefined) { headers["Content-Type"] = "text/csv"; options.body = options.csv; }
  const response = await fetch(A_API + path, { ...options, headers });
  if (response.status === 401) { location.href = "/login?next=/ops/alliance"; return null; }
  const type = response.headers.get("content-type") || "";
  const body = response.status === 204 ? null : type.includes("json") ? await response.json() : await response.text();
  const box = document.getElementById("problems");
  if (!response.ok) {
    box.textContent = Chaud.problemText(body, (field) => field);
    return null;
  }
  box.textContent = "";
  return body === null ? {} : body;
}

const el = (tag, text, cls) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
};
const euros = (cents) => (cents / 100).toFixed(2).replace(".", ",") + " €";
const tr = (message, values) => Chaud.t(message, values);  // the page's language
const DAYS = [tr("Mon"), tr("Tue"), tr("Wed"), tr("Thu"), tr("Fri"), tr("Sat"), tr("Sun")];

async function loadRestaurants() {
  const found = await call("/restaurants");
  if (!found) return;
  restaurants = found;
  const list = document.getElementById("restaurant-list");
  list.replaceChildren();
  const select = document.getElementById("invite-restaurant");
  select.replaceChildren();
  for (const r of restaurants) {
    const item = el("li", "", "row" + (r.active ? "" : " paused"));
    item.id = "restaurant-" + r.id;
    const open = el("button", r.name);
    open.type = "button";
    open.addEventListener("click", () => show(r.id));
    item.append(open, el("span", r.cuisine), el("span", r.address), el("span", r.active ? "" : tr("deactivated"), "why"));
    list.append(item);
    const option = el("option", r.name);
    option.value = String(r.id);
    select.append(option);
  }
  if (selected) show(selected);
}

async function show(id) {
  selected = id;
  const r = await call(`/restaurants/${id}`);
  if (!r) return;
  document.getElementById("restaurant-detail").hidden = false;
  document.getElementById("invite-restaurant").value = String(id);  // its staff, by default
  document.getElementById("detail-title").textContent = r.name;
  document.getElementById("detail-summary").textContent =
    [r.address, r.cuisine, tr("prep {n} min", { n: r.default_prep_minutes }), r.phone].filter(Boolean).join(" · ");
  const cap = document.getElementById("cap-form");
  cap.elements.orders_per_quarter.value = String(r.orders_per_quarter);
  cap.onsubmit = async (event) => {
    event.preventDefault();
    const orders = Number(cap.elements.orders_per_quarter.value);
    if (await call(`/restaurants/${id}`, { method: "PATCH", json: { orders_per_quarter: orders } })) show(id);
  };
  const toggle = document.getElementById("toggle-active");
  toggle.textContent = r.active ? tr("Deactivate") : tr("Reactivate");
  toggle.onclick = async () => { if (await call(`/restaurants/${id}`, { method: "PATCH", json: { active: !r.active } })) loadRestaurants(); };
  document.getElementById("hours-now").textContent = r.hours.length
    ? r.hours.map((h) => `${DAYS[h.weekday]} ${h.opens}–${h.closes}`).join(", ") : tr("No hours yet: closed every day.");
  const exceptions = document.getElementById("exception-list");
  exceptions.replaceChildren(...r.exceptions.map((e) => {
    const item = el("li", `${e.day}: ${e.opens ? e.opens + "–" + e.closes : tr("closed")} ${e.note}`);
    const remove = el("button", tr("remove"));
    remove.type = "button";
    remove.addEventListener("click", async () => { if (await call(`/restaurants/${id}/exceptions/${e.id}`, { method: "DELETE" })) show(id); });
    item.append(remove);
    return item;
  }));
  const dishes = await call(`/restaurants/${id}/dishes`);
  const list = document.getElementById("dish-list");
  list.replaceChildren(...(dishes || []).map((d) => {
    const item = el("li", "", "row dish" + (d.available ? "" : " paused"));
    item.append(el("strong", d.name), el("span", euros(d.price_cents)), el("span", `${d.prep_minutes} min, ${d.station}`),
      el("span", d.vat_class.replace("_", " ").replace("_", ",") + " %"), el("span", d.allergens.join(", "), "why"));
    const flip = el("button", d.available ? tr("Sold out") : tr("Available"));
    flip.type = "button";
    flip.addEventListener("click", async () => { if (await call(`/restaurants/${id}/dishes/${d.id}`, { method: "PATCH", json: { available: !d.available } })) show(id); });
    item.append(flip);
    return item;
  }));
}

function formObject(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  for (const [key, value] of Object.entries(data)) if (value === "") delete data[key];
  return data;
}

async function addRestaurant(event) {
  event.preventDefault();
  const data = formObject(event.target);
  for (const key of ["lat", "lon"]) data[key] = Number(data[key]);
  if (data.default_prep_minutes) data.default_prep_minutes = Number(data.default_prep_minutes);
  const created = await call("/restaurants", { method: "POST", json: data });
  if (!created) return;
  event.target.reset();
  document.getElementById("new-restaurant").open = false;
  selected = created.id;
  loadRestaurants();
}

async function setWeek(event) {
  event.preventDefault();
  const { opens, closes } = formObject(event.target);
  const periods = DAYS.map((_, weekday) => ({ weekday, opens, closes }));
  if (await call(`/restaurants/${selected}/hours`, { method: "PUT", json: { periods } })) show(selected);
}

async function addException(event) {
  event.preventDefault();
  const data = formObject(event.target);
  const body = { day: data.day, note: data.note || "" };
  if (!data.closed) { body.opens = data.opens; body.closes = data.closes; }
  if (await call(`/restaurants/${selected}/exceptions`, { method: "POST", json: body })) { event.target.reset(); show(selected); }
}

async function addDish(event) {
  event.preventDefault();
  const data = formObject(event.target);
  const body = {
    name: data.name, price_cents: Math.round(Number(data.price) * 100), prep_minutes: Number(data.prep_minutes),
    station: data.station, vat_class: data.vat_class, freshness_minutes: Number(data.freshness_minutes || 25),
    allergens: (data.allergens || "").split(";").map((a) => a.trim().toLowerCase()).filter(Boolean),
  };
  if (data.daily_portions) body.daily_portions = Number(data.daily_portions);
  if (await call(`/restaurants/${selected}/dishes`, { method: "POST", json: body })) { event.target.reset(); show(selected); }
}

async function exportMenu(event) {
  event.preventDefault();
  const text = await call(`/restaurants/${selected}/menu.csv`);
  if (text === null) return;
  const link = el("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  link.download = "menu.csv";
  link.click();
}

async function importMenu(event) {
  const file = event.target.files[0];
  if (!file) return;
  const done = await call(`/restaurants/${selected}/menu.csv`, { method: "POST", csv: await file.text() });
  event.target.value = "";
  if (done) { document.getElementById("problems").textContent = tr("{created} dishes added, {updated} updated", done); show(selected); }
}

async function loadPeople() {
  const found = await call("/people");
  if (!found) return;
  const couriers = found.filter((p) => p.courier_id && p.is_active);
  const pick = document.getElementById("roster-courier");
  const chosen = pick.value;
  pick.replaceChildren(...couriers.map((p) => { const o = el("option", p.name); o.value = String(p.courier_id); return o; }));
  if (chosen) pick.value = chosen;
  showRoster();
  const names = Object.fromEntries(restaurants.map((r) => [r.id, r.name]));
  document.getElementById("people-list").replaceChildren(...found.map((p) => {
    const item = el("li", "", "row" + (p.is_active ? "" : " paused"));
    item.id = "person-" + p.id;
    item.append(el("strong", p.name), el("span", p.email), el("span", p.role),
      el("span", p.restaurant_id ? names[p.restaurant_id] || "" : p.vehicle || ""), el("span", p.is_active ? "" : tr("deactivated"), "why"));
    if (p.is_active) {
      const reset = el("button", tr("Password link"));
      reset.type = "button";
      reset.addEventListener("click", async () => showLink(await call(`/people/${p.id}/password-link`, { method: "POST", json: { reason: "asked for a new password" } })));
      const off = el("button", tr("Deactivate"));
      off.type = "button";
      off.addEventListener("click", async () => { if (await call(`/people/${p.id}/deactivate`, { method: "POST", json: { reason: "left the alliance" } })) loadPeople(); });
      item.append(reset, off);
    }
    return item;
  }));
}

async function showRoster() {
  const id = document.getElementById("roster-courier").value;
  if (!id) return;
  const week = await call(`/couriers/${id}/roster`);
  document.getElementById("roster-now").textContent = week && week.length
    ? tr("Planned:") + " " + week.map((p) => `${DAYS[p.weekday]} ${p.starts}–${p.ends}`).join(", ") : tr("No planned shift.");
}

async function setRoster(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const periods = data.getAll("day").map((day) => ({ weekday: Number(day), starts: data.get("starts"), ends: data.get("ends") }));
  if (await call(`/couriers/${data.get("courier_id")}/roster`, { method: "PUT", json: { periods } })) showRoster();
}

function showLink(result) {
  if (!result) return;
  const box = document.getElementById("invite-link");
  box.hidden = false;
  box.replaceChildren(el("span", tr("One-time link for {name} (give it to them, it is shown once):", { name: result.user.name }) + " "));
  const link = el("a", location.origin + result.link);
  link.href = result.link;
  link.id = "invite-url";
  box.append(link);
}

async function invite(event) {
  event.preventDefault();
  const data = formObject(event.target);
  if (data.role === "kitchen") data.restaurant_id = Number(data.restaurant_id); else delete data.restaurant_id;
  const result = await call("/people", { method: "POST", json: data });
  if (!result) return;
  event.target.reset();
  showLink(result);
  loadPeople();
}

document.addEventListener("DOMContentLoaded", async () => {
  if (!Chaud.token()) { location.href = "/login?next=/ops/alliance"; return; }
  document.getElementById("restaurant-form").addEventListener("submit", addRestaurant);
  document.getElementById("hours-form").addEventListener("submit", setWeek);
  document.getElementById("exception-form").addEventListener("submit", addException);
  document.getElementById("dish-form").addEventListener("submit", addDish);
  document.getElementById("menu-export").addEventListener("click", exportMenu);
  document.getElementById("menu-import").addEventListener("change", importMenu);
  document.getElementById("invite-form").addEventListener("submit", invite);
  document.getElementById("roster-days").replaceChildren(...DAYS.map((name, day) => {
    const label = el("label", ` ${name} `);
    const box = el("input");
    box.type = "checkbox"; box.name = "day"; box.value = String(day); box.checked = day >= 4;
    label.prepend(box);
    return label;
  }));
  document.getElementById("roster-form").addEventListener("submit", setRoster);
  document.getElementById("roster-courier").addEventListener("change", showRoster);
  document.getElementById("invite-role").addEventListener("change", (event) => {
    document.getElementById("invite-restaurant-field").hidden = event.target.value !== "kitchen";
  });
  await loadRestaurants();
  await loadPeople();
  document.body.dataset.ready = "yes";
});
})();
