// The viewer's invoices: each with its PDF and its lines (tagged with the sub-account whose
// service a line bills).

import { call } from "./api.js";
import { cell, date, h, label, money, moneyCell, status, table } from "./ui.js";
import { t } from "./i18n.js";

export async function invoicesPage(params, show) {
  const account = (await call("Invoices", { first: 20, after: params.get("after") || null })).viewer.account;
  const page = account.invoices;
  const rows = page.nodes.map((i) =>
    h(
      "tr",
      { "data-invoice": i.number },
      cell(t("Invoice"), i.document ? h("a", { href: i.document.downloadUrl, target: "_blank", rel: "noopener" }, i.number) : i.number),
      cell("Issued", date(i.issuedAt)),
      cell("Kind", label(i.kind)),
      h("td", { "data-label": t("Status"), class: "invoice-status" }, status(i.status)),
      moneyCell(t("Total"), i.total),
      cell(
        "Lines",
        h(
          "details",
          {},
          h("summary", {}, `${i.lines.length} ${i.lines.length === 1 ? "line" : "lines"}`),
          h(
            "ul",
            {},
            i.lines.map((l) => h("li", {}, `${l.quantity} × ${l.description}`, l.subAccount ? ` (${l.subAccount.fullName})` : "", `: ${money(l.total)}`)),
          ),
        ),
      ),
    ),
  );
  const older = new URLSearchParams({ after: page.pageInfo.endCursor || "" });
  show(
    h("h1", {}, t("Invoices")),
    h("p", { role: "status" }, page.totalCount === 1 ? t("1 invoice") : t("{n} invoices", { n: page.totalCount })),
    table("invoices", [t("Invoice"), "Issued", "Kind", t("Status"), t("Total"), "Lines"], rows),
    page.pageInfo.hasNextPage ? h("p", {}, h("a", { href: `#/invoices?${older}` }, "Older invoices")) : null,
  );
}
