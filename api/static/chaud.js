// What every page of Chaud Devant shares: the signed-in token, calls to the API, problems in
// words, times in the alliance's time zone, a live feed over a websocket, and the street map.
"use strict";
window.Chaud = (() => {
  const TOKEN_KEY = "chaud.token";
  const zone = () => document.documentElement.dataset.timezone || "Europe/Paris";
  const lang = () => document.documentElement.lang || "fr";

  // A message in the page's language: the page's catalog (api/pages/i18n.py), English when
  // it has none; {name} placeholders are filled from ``values``.
  let catalog = null;
  function t(message, values = {}) {
    if (catalog === null) {
      const node = document.getElementById("i18n");
      try { catalog = node ? JSON.parse(node.textContent) : {}; } catch { catalog = {}; }
    }
    const text = catalog[message] || message;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function token() { return localStorage.getItem(TOKEN_KEY); }
  function setToken(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
  }

  // A call to the JSON API: { ok, status, body }; a body that is not JSON reads as null.
  async function api(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (token()) headers.Authorization = "Bearer " + token();
    const init = { ...options, headers };
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
      delete init.json;
    }
    const response = await fetch("/api/v1" + path, init);
    let body = null;
    try { body = response.status === 204 ? null : await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  // A file of the API (a receipt, a CSV) fetched with the token and saved as `filename`.
  async function download(path, filename) {
    const response = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + token() } });
    if (!response.ok) return false;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filename;
    link.click();
    URL.revokeObjectURL(link.href);
    return true;
  }

  // An API refusal as sentences: each field's reason, or the one reason given.
  function problemText(body, label = () => "") {
    const detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map((p) => (label(p.field) ? `${label(p.field)}: ${p.reason}` : p.reason)).join("\n");
    }
    if (detail && typeof detail === "object" && detail.reason) return detail.reason;
    if (typeof detail === "string") return detail;
    return t("Something went wrong, please try again.");
  }

  // "19:42" in the alliance's time zone, whatever the device's.
  function time(iso) {
    return new Date(iso).toLocaleTimeString(lang() === "en" ? "en-GB" : "fr-FR", {
      hour: "2-digit", minute: "2-digit", timeZone: zone(),
    });
  }
  const euros = (cents) => (cents / 100).toFixed(2).replace(".", ",") + " €";

  // Follow a live feed (/courier/ws, /orders/7/ws): onMessage gets each snapshot and event;
  // the feed reconnects by itself, and says so with onState("live" | "offline" | "refused").
  function follow(path, onMessage, onState = () => {}) {
    let delay = 1000;
    function open() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}${path}`);
      socket.onopen = () => socket.send(JSON.stringify({ type: "hello", token: token(), since: null }));
      socket.onmessage = (raw) => {
        const message = JSON.parse(raw.data);
        if (message.type === "error") { onState("refused", message.detail); return; }
        if (message.type === "snapshot" || message.type === "event") {
          delay = 1000;
          onState("live");
          onMessage(message);
        }
      };
      socket.onclose = (closed) => {
        if (closed.code === 4401) { onState("refused", closed.reason); return; }
        onState("offline");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    open();
  }

  // The alliance's streets drawn from the bundled map (no tiles: it works offline).
  let streets = null;
  async function streetsMap(elementId) {
    const map = L.map(elementId, { zoomControl: true, attributionControl: true, preferCanvas: true });
    map.attributionControl.setPrefix(false);
    map.setView([48.864, 2.365], 14);
    streets = streets || fetch("/api/v1/geo/streets-map").then((r) => r.json());
    const geojson = await streets;
    const layer = L.geoJSON(geojson, { style: { color: "#b8b8b8", weight: 1.2, opacity: 0.9 }, interactive: false });
    layer.addTo(map);
    map.attributionControl.addAttribution(geojson.properties.attribution);
    map.fitBounds(layer.getBounds());
    return map;
  }

  return { t, token, setToken, api, download, problemText, time, euros, follow, streetsMap };
})();
