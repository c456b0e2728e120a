// The courier's round: stops in order on the street map, the door's details, a button for the
// next step. The round changes arrive over the courier's live feed; positions go every 30 s.
"use strict";
(() => {
  const POSITION_MS = 30000;
  const FALLBACK_MS = 30000;  // a reload now and then even if the feed is silent
  let lastRound = "";
  let map = null;
  let layers = null;
  let svg = null;  // the round is drawn in SVG over the canvas streets: few shapes, each findable

  const courier = (path, options = {}) => Chaud.api("/courier" + path, options);
  const t = (message, values) => Chaud.t(message, values);

  function say(body) {
    document.getElementById("problems").textContent = body ? Chaud.problemText(body) : "";
  }

  function here() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }), reject,
        { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  function drawMap(round, position) {
    if (!layers) return;
    layers.clearLayers();
    round.geometry.forEach((leg, i) => {
      L.polyline(leg, { renderer: svg, color: i === 0 ? "#d2401e" : "#888", weight: i === 0 ? 4 : 2, className: i === 0 ? "leg next" : "leg" }).addTo(layers);
    });
    const points = round.geometry.flat();
    for (const stop of round.stops.filter((s) => !s.done_at)) {
      const next = stop.id === round.next_stop_id;
      L.circleMarker([stop.lat, stop.lon], {
        renderer: svg, radius: next ? 9 : 6, color: next ? "#000" : "#fff", weight: next ? 2 : 1,
        fillColor: stop.kind === "pickup" ? "#1e6fd2" : "#1e9d4a", fillOpacity: 0.95,
        className: `stop ${stop.kind}` + (next ? " next" : ""),
      }).bindTooltip(stop.address).addTo(layers);
      points.push([stop.lat, stop.lon]);
    }
    if (position) {
      L.circleMarker([position.lat, position.lon], { renderer: svg, radius: 7, color: "#fff", weight: 3, fillColor: "#7048e8", fillOpacity: 1, className: "you" })
        .bindTooltip(t("You are here")).addTo(layers);
      points.push([position.lat, position.lon]);
    }
    if (points.length) map.fitBounds(points, { padding: [30, 30], maxZoom: 17 });
  }

  function line(text, cls) {
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    return p;
  }

  function doorDetails(stop, item) {
    const door = [stop.floor && t("Floor {floor}", { floor: stop.floor }), stop.door_code && t("Code {code}", { code: stop.door_code })].filter(Boolean).join(" · ");
    if (door) item.appendChild(line(door, "door"));
    if (stop.notes) item.appendChild(line(stop.notes, "notes"));
    if (stop.phone) {
      const call = document.createElement("a");
      call.href = "tel:" + stop.phone.replace(/\s/g, "");
      call.className = "phone";
      call.textContent = t("Call {phone}", { phone: stop.phone });
      item.appendChild(call);
    }
  }

  // What to do at the stop, in the page's language (the API's own text is in English).
  function instructions(stop) {
    if (stop.kind === "pickup") return t("Collect order #{id}'s bag at {place}", { id: stop.order_id, place: stop.address });
    if (stop.shop_confirms) return t("Hand order #{id} over at {place}", { id: stop.order_id, place: stop.address });
    const door = [stop.floor && t("floor {floor}", { floor: stop.floor }), stop.door_code && t("code {code}", { code: stop.door_code })].filter(Boolean).join(", ");
    return t("Deliver order #{id} to {place}", { id: stop.order_id, place: stop.address }) + (door ? ` (${door})` : "");
  }

  function stopItem(stop, round) {
    const item = document.createElement("li");
    const next = stop.id === round.next_stop_id;
    item.className = `stop ${stop.kind}` + (next ? " next" : "") + (stop.done_at ? " done" : "");
    item.dataset.stopId = stop.id;
    const head = document.createElement("div");
    head.className = "head";
    head.append(line(stop.kind === "pickup" ? t("Pick up") : t("Deliver"), "kind"),
      line(stop.done_at ? t("done") : (stop.eta ? Chaud.time(stop.eta) : ""), "eta"));
    item.append(head, line(instructions(stop), "instructions"));
    if (!next) return item;
    doorDetails(stop, item);
    if (!stop.arrived_at && stop.leave_at && new Date(stop.leave_at) > new Date()) {
      // Until then the dispatcher may still give this courier a better round.
      item.appendChild(line(t("Leave at {time}", { time: Chaud.time(stop.leave_at) }), "leave-at"));
    }
    const actions = document.createElement("div");
    actions.className = "actions";
    const go = document.createElement("a");
    go.className = "navigate";
    go.href = `geo:${stop.lat},${stop.lon}?q=${stop.lat},${stop.lon}(${encodeURIComponent(stop.address)})`;
    go.textContent = t("Navigate");
    actions.appendChild(go);
    if (!stop.arrived_at) actions.appendChild(button(t("Arrived"), "arrived", () => act(stop, "arrived")));
    if (stop.shop_confirms) {
      // The shop says it received the parcel, on its own page; then the next stop shows here.
      actions.appendChild(line(t("Hand the parcel over at the counter: the shop confirms it on its page."), "hint shop-confirms"));
    } else {
      actions.appendChild(button(stop.kind === "pickup" ? t("Picked up") : t("Delivered"), "done", () => act(stop, "done")));
    }
    item.appendChild(actions);
    return item;
  }

  function button(text, cls, onClick) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = cls;
    node.textContent = text;
    node.onclick = onClick;
    return node;
  }

  // Each step says where the courier is; far from the stop, the server asks why.
  async function act(stop, action, reason) {
    const body = {};
    try { position = await here(); Object.assign(body, position); } catch (error) { /* the last one counts */ }
    if (reason) body.reason = reason;
    const result = await courier(`/stops/${stop.id}/${action}`, { method: "POST", json: body });
    const problem = !result.ok && result.body && Array.isArray(result.body.detail) ? result.body.detail[0] : null;
    if (problem && problem.field === "reason") { askWhy(stop, action, problem.reason); return; }
    say(result.ok ? null : result.body);
    lastRound = "";
    refresh();
  }

  function askWhy(stop, action, text) {
    const box = document.getElementById("problems");
    box.innerHTML = "";
    const form = document.createElement("form");
    form.className = "why";
    const label = document.createElement("label");
    label.textContent = `${text}. ${t("Why here? (the operator sees it)")} `;
    const input = document.createElement("input");
    input.name = "reason";
    input.required = true;
    input.minLength = 3;
    input.maxLength = 200;
    label.appendChild(input);
    const send = button(t("Send with this reason"), "send-why", () => {});
    send.type = "submit";
    form.append(label, send);
    form.onsubmit = (event) => { event.preventDefault(); act(stop, action, input.value.trim()); };
    box.appendChild(form);
    input.focus();
  }

  let position = null;

  async function refresh() {
    const [shift, result] = await Promise.all([courier("/shift"), courier("/round")]);
    if ([401, 403].includes(result.status)) {
      document.getElementById("courier-signin").hidden = false;
      document.getElementById("shift-state").textContent = t("Signed out");
      return;
    }
    if (shift.ok) setShift(shift.body.on_shift);
    if (!result.ok) { say(result.body); return; }
    const round = result.body;
    const signature = JSON.stringify([round.stops.map((s) => [s.id, s.eta, s.leave_at, s.arrived_at, s.done_at, s.phone]), round.next_stop_id]);
    if (signature === lastRound) return;  // redraw only when the plan changed
    lastRound = signature;
    loadHistory();  // the plan moved: a stop was done, or the shift began or ended
    loadStatement();
    const list = document.getElementById("round-stops");
    list.innerHTML = "";
    round.stops.forEach((stop) => list.appendChild(stopItem(stop, round)));
    document.getElementById("round-empty").hidden = round.stops.some((s) => !s.done_at);
    drawMap(round, position);
  }

  async function loadHistory() {
    const result = await courier("/shifts?limit=10");
    if (!result.ok) return;
    const body = document.querySelector("#shift-history tbody");
    body.innerHTML = "";
    for (const shift of result.body) {
      const row = body.insertRow();
      const day = new Date(shift.started_at).toLocaleDateString(document.documentElement.lang === "fr" ? "fr-FR" : "en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: document.documentElement.dataset.timezone });
      const hours = `${Math.floor(shift.minutes / 60)} h ${String(shift.minutes % 60).padStart(2, "0")}` + (shift.ended_at ? "" : " " + t("(on)"));
      for (const text of [`${day} ${Chaud.time(shift.started_at)}`, hours, shift.pickups, shift.deliveries, shift.off_site_steps, Chaud.euros(shift.earned_cents)]) {
        row.insertCell().textContent = String(text);
      }
    }
  }

  // The courier's own earnings from the journal: shift pay and tips, less refunds at its fault.
  function statementPath(format) {
    const period = ChaudStatement.query(document.getElementById("statement-from").value, document.getElementById("statement-to").value);
    return `/courier/statement?format=${format}` + (period ? `&${period}` : "");
  }

  async function loadStatement() {
    const result = await Chaud.api(statementPath("json"));
    if (result.ok) ChaudStatement.render(document.getElementById("statement-table"), result.body, ChaudStatement.EARNINGS);
  }

  function setShift(on) {
    document.getElementById("shift-state").textContent = on ? t("On shift") : t("Off shift");
    document.getElementById("shift-start").hidden = on;
    document.getElementById("shift-end").hidden = !on;
  }

  async function sendPosition() {
    if (document.getElementById("shift-end").hidden) return;
    try {
      position = await here();
      await courier("/position", { method: "POST", json: position });
    } catch (error) { /* no fix yet: the next one */ }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    document.getElementById("shift-start").onclick = async () => {
      try { position = await here(); } catch (error) { say({ detail: t("Location needed to start a shift") }); return; }
      const result = await courier("/shift/start", { method: "POST", json: position });
      if (!result.ok && result.status !== 409) { say(result.body); return; }
      say(null);
      lastRound = "";
      refresh();
    };
    document.getElementById("shift-end").onclick = async () => {
      const result = await courier("/shift/end", { method: "POST" });
      say(result.ok ? null : result.body);
      lastRound = "";
      refresh();
    };
    document.getElementById("statement-form").onsubmit = (event) => { event.preventDefault(); loadStatement(); };
    document.getElementById("statement-csv").onclick = () => Chaud.download(statementPath("csv"), "earnings.csv");
    loadStatement();
    map = await Chaud.streetsMap("round-map");
    svg = L.svg().addTo(map);
    layers = L.layerGroup().addTo(map);
    document.body.dataset.map = "ready";
    await refresh();
    sendPosition().then(() => { lastRound = ""; refresh(); });  // "you are here", at once
    Chaud.follow("/courier/ws", () => refresh(), (state) => {
      document.getElementById("live-state").textContent = state === "live" ? t("● live") : (state === "offline" ? t("○ reconnecting") : "");
    });
    setInterval(refresh, FALLBACK_MS);
    setInterval(sendPosition, POSITION_MS);
  });
})();
