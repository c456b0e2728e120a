// A relay shop's counter: the parcels of the day, "Received" when the courier hands one
// over, and the customer's code typed to hand it over. (In a function: app.js is loaded too.)
"use strict";
(() => {
  const REFRESH_MS = 10000;
  const t = (message, values) => Chaud.t(message, values);
  const STATES = {
    placed: t("Ordered"), confirmed: t("Being prepared"), in_preparation: t("Being prepared"),
    out_for_delivery: t("On its way"), at_relay: t("At the counter"), collected: t("Collected"),
  };
  const time = (iso) => Chaud.time(iso);
  const relayFetch = (path, options = {}) => Chaud.api("/relay" + path, options);

  function say(body) {
    const box = document.getElementById("problems");
    box.innerHTML = "";
    if (!body) return;
    const line = document.createElement("p");
    line.textContent = Chaud.problemText(body);
    box.appendChild(line);
  }

  function actions(parcel) {
    const cell = document.createElement("td");
    if (parcel.status === "out_for_delivery") {
      const received = document.createElement("button");
      received.textContent = t("Received");
      received.className = "received";
      received.onclick = () => act(`/parcels/${parcel.order_id}/received`);
      cell.appendChild(received);
      if (parcel.courier_name) {
        const who = document.createElement("small");
        who.textContent = " " + (parcel.courier_arrived ? t("{name} is here", { name: parcel.courier_name })
          : t("{name} is on the way", { name: parcel.courier_name }));
        cell.appendChild(who);
      }
    } else if (parcel.status === "at_relay") {
      const code = document.createElement("input");
      code.className = "code"; code.inputMode = "numeric"; code.placeholder = t("Customer's code");
      code.size = 8; code.maxLength = 12;
      const give = document.createElement("button");
      give.textContent = t("Hand over");
      give.className = "collect";
      give.onclick = () => act(`/parcels/${parcel.order_id}/collected`, { code: code.value });
      cell.append(code, " ", give);
      if (parcel.code_tries_left < 5) {
        const left = document.createElement("small");
        left.textContent = " " + t("{n} tries left", { n: parcel.code_tries_left });
        cell.appendChild(left);
      }
    }
    return cell;
  }

  function render(parcels) {
    const body = document.querySelector("#parcels tbody");
    // A code being typed survives the list's refresh, and so does the cursor in it.
    const typed = new Map([...body.querySelectorAll("input.code")].map((i) => [i.closest("tr").dataset.orderId, i.value]));
    const focused = document.activeElement && document.activeElement.matches("input.code")
      ? document.activeElement.closest("tr").dataset.orderId : null;
    body.innerHTML = "";
    document.getElementById("parcels-empty").hidden = parcels.length > 0;
    for (const parcel of parcels) {
      const row = body.insertRow();
      row.dataset.orderId = String(parcel.order_id);
      row.className = parcel.status;
      const when = parcel.collected_at || parcel.received_at || parcel.expected_at;
      for (const text of [`#${parcel.order_id}`, parcel.customer_name, String(parcel.bags), time(when),
        STATES[parcel.status] || parcel.status]) {
        row.insertCell().textContent = text;
      }
      row.appendChild(actions(parcel));
      const code = row.querySelector("input.code");
      if (code && typed.has(row.dataset.orderId)) code.value = typed.get(row.dataset.orderId);
      if (code && focused === row.dataset.orderId) code.focus();
    }
  }

  async function act(path, body) {
    const result = await relayFetch(path, { method: "POST", json: body || {} });
    say(result.ok ? null : result.body);
    refresh();
  }

  let lastList = "";

  async function refresh() {
    const result = await relayFetch("/parcels");
    if (result.status === 401 || result.status === 403) {
      document.getElementById("relay-signin").hidden = false;
      say(result.status === 403 ? { detail: t("This account is not a relay shop's: sign in with the shop's account.") } : null);
      return;
    }
    if (!result.ok) return;
    // Redrawn only when a parcel changed: the counter's inputs stay put between changes.
    const signature = JSON.stringify(result.body);
    if (signature === lastList) return;
    lastList = signature;
    render(result.body);
  }

  document.addEventListener("DOMContentLoaded", () => {
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
