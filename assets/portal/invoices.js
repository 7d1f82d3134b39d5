// The viewer's invoices: each with its PDF and its lines (tagged with the sub-account whose
// service a line bills).

import { call } from "./api.js";
import { cell, date, h, label, money, moneyCell, status, table } from "./ui.js";
import { t } from "./i18n.js";
import { PAGE_SIZE, loadPage } from "./pages.js";

export async function invoicesPage(params, show) {
  const { data: account, pager } = await loadPage({
    key: JSON.stringify(["invoices"]),
    params,
    path: "#/invoices",
    hop: async (args) => (await call("InvoiceCursors", args)).viewer.account.invoices,
    load: async (after) => (await call("Invoices", { first: PAGE_SIZE, after })).viewer.account,
    connectionOf: (account) => account.invoices,
  });
  const page = account.invoices;
  const rows = page.nodes.map((i) =>
    h(
      "tr",
      { "data-invoice": i.number },
      cell(t("Invoice"), i.document ? h("a", { href: i.document.downloadUrl, target: "_blank", rel: "noopener" }, i.number) : i.number),
      cell(t("Issued"), date(i.issuedAt)),
      cell(t("Kind"), label(i.kind)),
      h("td", { "data-label": t("Status"), class: "invoice-status" }, status(i.status)),
      moneyCell(t("Total"), i.total),
      cell(
        t("Lines"),
        h(
          "details",
          {},
          h("summary", {}, i.lines.length === 1 ? t("1 line") : t("{n} lines", { n: i.lines.length })),
          h(
            "ul",
            {},
            i.lines.map((l) => h("li", {}, `${l.quantity} × ${l.description}`, l.subAccount ? ` (${l.subAccount.fullName})` : "", `: ${money(l.total)}`)),
          ),
        ),
      ),
    ),
  );
  show(
    h("h1", {}, t("Invoices")),
    h("p", { role: "status" }, page.totalCount === 1 ? t("1 invoice") : t("{n} invoices", { n: page.totalCount })),
    table("invoices", [t("Invoice"), t("Issued"), t("Kind"), t("Status"), t("Total"), t("Lines")], rows),
    pager,
  );
}
