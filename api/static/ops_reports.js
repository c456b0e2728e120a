// The evening's report: figures from /api/v1/ops/reports, drawn as tables and bar charts.
"use strict";

(() => {
  const token = () => Chaud.token();
  const money = (cents) => Chaud.euros(cents);
  const t = (message, values) => Chaud.t(message, values);  // the page's language
  const KPI_LABELS = {
    ctd_mean: t("click-to-door, mean (min)"), ctd_p90: t("click-to-door, p90 (min)"),
    within_promise_share: t("delivered within the promise"), ctd_share_le_40: t("delivered within 40 min"),
    r2d_p50: t("ready-to-door, p50 (min)"), r2d_p90: t("ready-to-door, p90 (min)"),
    r2p_mean: t("food waiting for its courier, mean (min)"), scheduled_on_time_share: t("scheduled orders on time"),
    beyond_freshness: t("orders past a dish's freshness limit"),
  };

  function table(id, head, rows) {
    const node = document.getElementById(id);
    node.replaceChildren();
    const tr = document.createElement("tr");
    for (const h of head) { const th = document.createElement("th"); th.textContent = h; tr.append(th); }
    node.append(tr);
    for (const row of rows) {
      const line = document.createElement("tr");
      for (const value of row) { const td = document.createElement("td"); td.textContent = value ?? "–"; line.append(td); }
      node.append(line);
    }
  }

  function bars(id, labels, values, format) {
    const svg = document.getElementById(id);
    svg.replaceChildren();
    const ns = "http://www.w3.org/2000/svg";
    const width = 640, height = 160, top = Math.max(1, ...values);
    svg.setAttribute("viewBox", `0 0 ${width} ${height + 30}`);
    const step = width / Math.max(1, values.length);
    values.forEach((value, i) => {
      const h = (value / top) * height;
      const bar = document.createElementNS(ns, "rect");
      bar.setAttribute("x", String(i * step + 4));
      bar.setAttribute("y", String(height - h));
      bar.setAttribute("width", String(Math.max(2, step - 8)));
      bar.setAttribute("height", String(h));
      bar.setAttribute("class", "bar");
      const tip = document.createElementNS(ns, "title");
      tip.textContent = `${labels[i]}: ${format(value)}`;
      bar.append(tip);
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", String(i * step + step / 2));
      label.setAttribute("y", String(height + 16));
      label.setAttribute("class", "axis");
      label.textContent = labels[i];
      svg.append(bar, label);
    });
  }

  async function load(start, end) {
    const query = `start=${start}` + (end ? `&end=${end}` : "");
    const result = await Chaud.api(`/ops/reports?${query}`);
    if (result.status === 401) { location.href = "/login?next=/ops/reports"; return; }
    const report = result.body;
    const box = document.getElementById("problems");
    if (!result.ok) {
      box.textContent = Chaud.problemText(report, (field) => field);
      return;
    }
    box.textContent = "";
    document.getElementById("summary").textContent =
      t("{orders} orders, {delivered} delivered, {cancelled} cancelled", report) + " · " + money(report.revenue_cents);
    bars("orders-chart", report.hours.map((h) => `${h.hour}h`), report.hours.map((h) => h.orders), String);
    bars("revenue-chart", report.hours.map((h) => `${h.hour}h`), report.hours.map((h) => h.revenue_cents), money);
    table("kpi-table", [t("Measure"), t("Value")], Object.entries(KPI_LABELS).map(([key, label]) => {
      const value = report.kpis[key];
      return [label, typeof value === "number" && key.includes("share") ? `${Math.round(value * 100)} %` : value];
    }));
    bars("kitchen-chart", report.kitchens.map((k) => k.name.split(" ").slice(-1)[0]), report.kitchens.map((k) => k.revenue_cents), money);
    // The learned pace in words: ×1.25, +4 % per ticket cooking, from 120 tickets.
    const pace = (k) => k.learned_tickets
      ? t("×{factor}, {slower} slower a ticket cooking ({tickets} tickets)", { factor: k.learned_factor.toFixed(2), slower: `+${Math.round(k.learned_per_open_ticket * 100)} %`, tickets: k.learned_tickets })
      : t("declared");
    table("kitchen-table", [t("Kitchen"), t("Tickets"), t("Refused"), t("Revenue"), t("Accepted after (min)"), t("Real prep (min)"), t("Declared prep (min)"), t("Planned prep (min)"), t("Learned pace")],
      report.kitchens.map((k) => [k.name, k.tickets, k.refused, money(k.revenue_cents), k.accept_minutes_mean, k.prep_minutes_mean, k.declared_prep_minutes_mean,
        k.planned_prep_minutes_mean, pace(k)]));
    table("courier-table", [t("Courier"), t("Hours on shift"), t("Delivered"), t("Orders an hour"), t("Riding")],
      report.couriers.map((c) => [c.name, c.shift_hours, c.delivered, c.orders_per_hour,
        c.utilisation === null ? null : `${Math.round(c.utilisation * 100)} %`]));
    table("trouble-table", [t("Order"), t("What"), t("Cause"), t("Fault")], report.troubles.map((t) => [`#${t.order_id}`, t.kind, t.cause, t.fault]));
    document.body.dataset.ready = "yes";
  }

  function exportCsv() {
    const start = document.getElementById("start").value, end = document.getElementById("end").value;
    Chaud.download(`/ops/reports/orders.csv?start=${start}` + (end ? `&end=${end}` : ""), `orders-${start}.csv`);
  }

  // A kitchen's statement over the report's period: the figures its own screen shows.
  function statementPath(format) {
    const kitchen = document.getElementById("statement-kitchen").value;
    const period = ChaudStatement.query(document.getElementById("start").value, document.getElementById("end").value);
    return `/ops/statements?party=kitchen:${kitchen}&format=${format}` + (period ? `&${period}` : "");
  }

  async function showStatement(event) {
    event.preventDefault();
    const result = await Chaud.api(statementPath("json"));
    const box = document.getElementById("problems");
    if (!result.ok) { box.textContent = Chaud.problemText(result.body, (field) => field); return; }
    ChaudStatement.render(document.getElementById("statement-table"), result.body);
  }

  async function loadKitchens() {
    const result = await Chaud.api("/ops/restaurants");
    if (!result.ok) return;
    const select = document.getElementById("statement-kitchen");
    for (const kitchen of result.body) {
      const option = document.createElement("option");
      option.value = kitchen.id;
      option.textContent = kitchen.name;
      select.append(option);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!token()) { location.href = "/login?next=/ops/reports"; return; }
    const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Europe/Paris" });
    const start = new URLSearchParams(location.search).get("start") || today;
    document.getElementById("start").value = start;
    document.getElementById("period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      load(document.getElementById("start").value, document.getElementById("end").value);
    });
    document.getElementById("export-csv").addEventListener("click", exportCsv);
    document.getElementById("statement-form").addEventListener("submit", showStatement);
    document.getElementById("statement-csv").addEventListener("click", () => {
      const kitchen = document.getElementById("statement-kitchen").value;
      Chaud.download(statementPath("csv"), `statement-kitchen-${kitchen}.csv`);
    });
    loadKitchens();
    load(start, "");
  });
})();
