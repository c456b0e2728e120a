// A party's statement, as the operator's reports page and the kitchen screen both show it:
// one row per order, then the totals.
"use strict";

const ChaudStatement = (() => {
  const t = (message, values) => Chaud.t(message, values);
  const COLUMNS = [
    ["gross_cents", t("Gross (VAT incl.)")], ["vat_cents", t("VAT")],
    ["commission_cents", t("Commission")], ["commission_vat_cents", t("VAT on commission")],
    ["refunds_cents", t("Refunds")], ["net_cents", t("Net")],
  ];

  function row(cells, tag) {
    const line = document.createElement("tr");
    for (const cell of cells) {
      const node = document.createElement(tag);
      node.textContent = cell;
      line.append(node);
    }
    return line;
  }

  // A courier's earnings carry no VAT nor commission: three columns fit a phone.
  const EARNINGS = [["gross_cents", t("Earned")], ["refunds_cents", t("Refunds")], ["net_cents", t("Net")]];

  // Fill a <table> with the statement.
  function render(table, statement, columns = COLUMNS) {
    table.replaceChildren(row([t("What"), t("When"), ...columns.map(([, label]) => label)], "th"));
    for (const line of statement.lines) {
      table.append(row([line.label, Chaud.time(line.at), ...columns.map(([key]) => Chaud.euros(line[key]))], "td"));
    }
    const total = row([t("Total"), "", ...columns.map(([key]) => Chaud.euros(statement[key]))], "th");
    total.className = "total";
    table.append(total);
  }

  function query(from, to) {
    return [from ? `from=${from}` : "", to ? `to=${to}` : ""].filter(Boolean).join("&");
  }

  return { render, query, EARNINGS };
})();
