// The audit log: the operators' steps, newest first, a page at a time.
"use strict";

let oldest = null;

async function loadPage() {
  if (!Chaud.token()) { location.href = "/login?next=/ops/audit"; return; }
  const query = oldest ? `?before_id=${oldest}` : "";
  const result = await Chaud.api("/ops/audit" + query);
  const body = result.body;
  if (!result.ok) {
    document.getElementById("problems").textContent = Chaud.problemText(body);
    return;
  }
  const rows = document.getElementById("audit-rows");
  for (const entry of body) {
    const row = document.createElement("tr");
    const cells = [
      new Date(entry.at).toLocaleDateString("fr-FR", { timeZone: document.documentElement.dataset.timezone }) + " " + Chaud.time(entry.at),
      entry.actor_name, entry.action.replaceAll("_", " "), `${entry.subject_kind} ${entry.subject_id}`,
      entry.reason, JSON.stringify(entry.detail),
    ];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    rows.append(row);
    oldest = entry.id;
  }
  document.getElementById("audit-more").hidden = body.length < 100;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("audit-more").addEventListener("click", loadPage);
  loadPage();
});
