// The courier's round: stops in order, the streets to ride, a button for the next step.
"use strict";

const COURIER_API = "/api/v1/courier";
const REFRESH_MS = 5000;
const POSITION_MS = 30000;
let lastRound = "";

function courierFetch(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = localStorage.getItem("chaud.token");
  if (token) headers.Authorization = "Bearer " + token;
  return fetch(COURIER_API + path, { ...options, headers }).then(async (response) => ({
    ok: response.ok,
    status: response.status,
    body: response.status === 204 ? null : await response.json(),
  }));
}

function showCourierProblem(body) {
  const box = document.getElementById("problems");
  const detail = body && body.detail;
  box.textContent = Array.isArray(detail)
    ? detail.map((p) => `${p.field}: ${p.reason}`).join("; ")
    : (detail && detail.reason) || (typeof detail === "string" ? detail : "Something went wrong");
}

function here() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }), reject,
      { enableHighAccuracy: true, timeout: 10000 });
  });
}

function drawMap(round) {
  const svg = document.getElementById("round-map");
  svg.innerHTML = "";
  const points = round.geometry.flat().concat(round.stops.filter((s) => !s.done_at).map((s) => [s.lat, s.lon]));
  document.getElementById("map-attribution").textContent = "Streets " + round.attribution;
  if (!points.length) return;
  const lats = points.map((p) => p[0]), lons = points.map((p) => p[1]);
  const [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const scale = Math.min(300 / Math.max(east - west, 1e-4), 220 / Math.max(north - south, 1e-4));
  const xy = ([lat, lon]) => [10 + (lon - west) * scale, 230 - (lat - south) * scale];
  const ns = "http://www.w3.org/2000/svg";
  round.geometry.forEach((leg, i) => {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", leg.map((p) => xy(p).join(",")).join(" "));
    line.setAttribute("class", i === 0 ? "leg next" : "leg");
    svg.appendChild(line);
  });
  round.stops.filter((s) => !s.done_at).forEach((stop) => {
    const [x, y] = xy([stop.lat, stop.lon]);
    const dot = document.createElementNS(ns, "circle");
    dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("r", stop.id === round.next_stop_id ? 7 : 5);
    dot.setAttribute("class", `stop ${stop.kind}` + (stop.id === round.next_stop_id ? " next" : ""));
    svg.appendChild(dot);
  });
}

function stopItem(stop, round) {
  const item = document.createElement("li");
  const next = stop.id === round.next_stop_id;
  item.className = `stop ${stop.kind}` + (next ? " next" : "") + (stop.done_at ? " done" : "");
  item.dataset.stopId = stop.id;
  const eta = stop.eta ? new Date(stop.eta).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }) : "";
  item.innerHTML = `<span class="kind">${stop.kind === "pickup" ? "Pick up" : "Deliver"}</span>
    <span class="eta">${stop.done_at ? "done" : eta}</span><p class="instructions"></p>`;
  item.querySelector(".instructions").textContent = stop.instructions;
  if (next && !stop.arrived_at && stop.leave_at && new Date(stop.leave_at) > new Date()) {
    // Until then the dispatcher may still give this courier a better round.
    const leave = new Date(stop.leave_at).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
    const hint = document.createElement("p");
    hint.className = "leave-at";
    hint.textContent = `Leave at ${leave}`;
    item.appendChild(hint);
  }
  if (!next) return item;
  const actions = document.createElement("div");
  actions.className = "actions";
  if (!stop.arrived_at) {
    const arrived = document.createElement("button");
    arrived.textContent = "Arrived";
    arrived.className = "arrived";
    arrived.onclick = () => act(stop, "arrived");
    actions.appendChild(arrived);
  }
  if (stop.shop_confirms) {
    // The shop says it received the parcel, on its own page; then the next stop shows here.
    const hint = document.createElement("p");
    hint.className = "hint shop-confirms";
    hint.textContent = "Hand the parcel over at the counter: the shop confirms it on its page.";
    actions.appendChild(hint);
  } else {
    const done = document.createElement("button");
    done.textContent = stop.kind === "pickup" ? "Picked up" : "Delivered";
    done.className = "done";
    done.onclick = () => act(stop, "done");
    actions.appendChild(done);
  }
  item.appendChild(actions);
  return item;
}

async function act(stop, action, body) {
  const result = await courierFetch(`/stops/${stop.id}/${action}`, {
    method: "POST", body: body ? JSON.stringify(body) : undefined });
  if (!result.ok) { showCourierProblem(result.body); return; }
  document.getElementById("problems").textContent = "";
  lastRound = "";
  refreshRound();
}

async function refreshRound() {
  const result = await courierFetch("/round");
  if (result.status === 401 || result.status === 403) {
    document.getElementById("courier-signin").hidden = false;
    return;
  }
  if (!result.ok) { showCourierProblem(result.body); return; }
  const round = result.body;
  const signature = JSON.stringify([round.stops.map((s) => [s.id, s.eta, s.leave_at, s.arrived_at, s.done_at]), round.next_stop_id]);
  if (signature === lastRound) return;  // redraw only when the plan changed
  lastRound = signature;
  const list = document.getElementById("round-stops");
  list.innerHTML = "";
  round.stops.forEach((stop) => list.appendChild(stopItem(stop, round)));
  document.getElementById("round-empty").hidden = round.stops.some((s) => !s.done_at);
  drawMap(round);
}

function setShift(on) {
  document.getElementById("shift-state").textContent = on ? "On shift" : "Off shift";
  document.getElementById("shift-start").hidden = on;
  document.getElementById("shift-end").hidden = !on;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("shift-start").onclick = async () => {
    let position;
    try { position = await here(); } catch (error) { showCourierProblem({ detail: "Location needed to start a shift" }); return; }
    const result = await courierFetch("/shift/start", { method: "POST", body: JSON.stringify(position) });
    if (!result.ok && result.status !== 409) { showCourierProblem(result.body); return; }
    setShift(true);
    refreshRound();
  };
  document.getElementById("shift-end").onclick = async () => {
    const result = await courierFetch("/shift/end", { method: "POST" });
    if (!result.ok) { showCourierProblem(result.body); return; }
    setShift(false);
    lastRound = "";
    refreshRound();
  };
  refreshRound();
  setInterval(refreshRound, REFRESH_MS);
  setInterval(async () => {
    if (document.getElementById("shift-end").hidden) return;
    try { await courierFetch("/position", { method: "POST", body: JSON.stringify(await here()) }); } catch (error) { /* no fix yet */ }
  }, POSITION_MS);
});
