// The audit log: the operators' steps, newest first, a page at a time.
"use strict";

let oldest = null;

async function loadPage() {
  const token = localStorage.getItem("chaud.token");
  if (!token) { location.href = "/login?next=/ops/audit"; return; }
  const query = oldest ? `?before_id=${oldest}` : "";
  const response = await fetch("/api/v1/ops/audit" + query, { headers: { Authorization: "Bearer " + token } });
  const body = await response.json();
  if (!response.ok) {
    document.getElementById("problems").textContent = typeof body.detail === "string" ? body.detail : "Sign in as an operator";
    return;
  }
  const rows = document.getElementById("audit-rows");
  for (const entry of body) {
    const row = document.createElement("tr");
    const cells = [
      new Date(entry.at).toLocaleString("fr-FR", { timeZone: "Europe/Paris" }),
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
