// The operator refunds an order handed over: look it up by number (its receipt as the customer
// reads it), then give money back charged to whoever was at fault; the server answers with the
// credit note's number, or says which field to fix.
"use strict";

(() => {
  const t = (message, values) => Chaud.t(message, values);
  const $ = (id) => document.getElementById(id);
  const FIELDS = { amount_cents: t("Amount (€)"), fault: t("Whose fault"), restaurant_id: t("Kitchen"), reason: t("Why") };
  let orderId = null;
  let kitchens = new Map();  // restaurant id → name, of the order looked up

  // Who a refund was charged to, from its journal account (kitchen:5, courier:2, alliance:…).
  function payer(account) {
    const [kind, id] = account.split(":");
    if (kind === "kitchen") return kitchens.get(Number(id)) || t("the kitchen");
    return kind === "courier" ? t("the courier") : t("the alliance");
  }

  function line(text, className = "") {
    const node = document.createElement("p");
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function show(receipt) {
    const box = $("refund-receipt");
    box.replaceChildren(line(t("Order #{id}, {status}: {total} charged, {refunded} refunded", {
      id: receipt.order_id, status: receipt.status,
      total: Chaud.euros(receipt.total_cents), refunded: Chaud.euros(receipt.refunded_cents),
    }), "receipt-head"));
    for (const part of receipt.parts) {
      box.append(line(part.charged
        ? t("{kitchen}: {amount}", { kitchen: part.restaurant_name, amount: Chaud.euros(part.subtotal_cents) })
        : t("{kitchen}: not charged ({why})", { kitchen: part.restaurant_name, why: part.not_charged_because })));
    }
    for (const note of receipt.credit_notes) {
      box.append(line(t("Credit note no. {n}: {amount} back ({reason})", {
        n: note.number, amount: Chaud.euros(note.total_cents), reason: note.reason,
      }), "credit-note"));
    }
    kitchens = new Map(receipt.parts.map((part) => [part.restaurant_id, part.restaurant_name]));
    const select = $("refund-kitchen");
    select.replaceChildren();
    for (const [id, name] of kitchens) {
      const option = document.createElement("option");
      option.value = String(id);
      option.textContent = name;
      select.append(option);
    }
    $("refund-form").hidden = false;
  }

  async function lookUp(event) {
    event.preventDefault();
    $("refund-problems").textContent = "";
    $("refund-done").textContent = "";
    $("refund-form").hidden = true;
    $("refund-receipt").replaceChildren();
    orderId = Number($("refund-order").value);
    const result = await Chaud.api(`/ops/orders/${orderId}/receipt`);
    if (!result.ok) { $("refund-problems").textContent = Chaud.problemText(result.body); return; }
    show(result.body);
  }

  async function refund(event) {
    event.preventDefault();
    const fault = $("refund-fault").value;
    const body = {
      amount_cents: Math.round(Number($("refund-amount").value) * 100),
      fault,
      reason: $("refund-reason").value,
    };
    if (fault === "kitchen") body.restaurant_id = Number($("refund-kitchen").value);
    $("refund-done").textContent = "";
    const result = await Chaud.api(`/ops/orders/${orderId}/refund`, { method: "POST", json: body });
    if (!result.ok) {
      $("refund-problems").textContent = Chaud.problemText(result.body, (field) => FIELDS[field]);
      return;
    }
    $("refund-problems").textContent = "";
    $("refund-done").textContent = t("Refunded {amount}, charged to {payer}: credit note no. {n}", {
      amount: Chaud.euros(result.body.amount_cents), payer: payer(result.body.charged_to), n: result.body.credit_note_number,
    });
    const again = await Chaud.api(`/ops/orders/${orderId}/receipt`);
    if (again.ok) show(again.body);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("refund-lookup").addEventListener("submit", lookUp);
    $("refund-form").addEventListener("submit", refund);
    $("refund-fault").addEventListener("change", () => {
      $("refund-kitchen-field").hidden = $("refund-fault").value !== "kitchen";
    });
  });
})();
