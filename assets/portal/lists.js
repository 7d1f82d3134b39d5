// The dashboard and the sub-accounts table.

import { call, setUnread, who } from "./api.js";
import { cell, date, h, label, money, moneyCell, status, table } from "./ui.js";
import { t } from "./i18n.js";
import { PAGE_SIZE, loadPage } from "./pages.js";

const accountLink = (a) => (a.capabilities.viewDetails ? h("a", { href: `#/accounts/${a.id}` }, a.fullName) : a.fullName);

export async function dashboard(show) {
  const mine = who.account;
  const isMain = Boolean(mine) && !mine.subAccountType;
  const { viewer } = await call("Dashboard", { billing: Boolean(mine?.capabilities.viewBilling), main: isMain });
  const me = viewer.account;
  setUnread(viewer.unreadNotificationCount);
  const card = (id, title, value, more) => h("section", { class: "card", id }, h("h2", {}, title), h("p", { class: "figure" }, value), more ?? null);
  const invoice = me?.invoices?.nodes[0];
  const cards = me
    ? [
        me.balance == null ? null : card("card-balance", t("Balance"), money(me.balance), h("a", { href: `#/accounts/${me.id}` }, t("My account"))),
        me.invoices
          ? card(
              "card-invoice",
              t("Last invoice"),
              invoice ? money(invoice.total) : "—",
              invoice ? h("p", {}, `${invoice.number} · ${date(invoice.issuedAt)} `, status(invoice.status)) : h("p", {}, t("No invoices yet.")),
            )
          : null,
        card("card-tickets", t("Open tickets"), String(me.openTickets.totalCount), h("a", { href: `#/accounts/${me.id}` }, t("View tickets"))),
        me.waiting ? card("card-waiting", t("Orders waiting for approval"), String(me.waiting.totalCount), h("a", { href: "#/orders" }, t("Manage orders"))) : null,
      ]
    : [];
  const recent = me?.recentlyLinkedSubAccounts;
  // Only a main account has sub-accounts to list.
  const subs = recent
    ? h(
        "section",
        { class: "card wide", id: "card-recent" },
        h("h2", {}, t("Recently linked sub-accounts")),
        recent.length
          ? h("ul", { id: "recent" }, recent.map((a) => h("li", {}, accountLink(a), " ", status(a.status), " ", h("span", { class: "muted" }, date(a.linkedAt)))))
          : h("p", {}, t("No sub-accounts yet.")),
        h("p", {}, h("a", { href: "#/sub-accounts" }, t("All sub-accounts"))),
      )
    : null;
  show(
    h("h1", {}, t("Welcome, {name}", { name: me?.fullName ?? t("ISP staff") })),
    h("div", { class: "cards" }, cards, subs),
  );
}

export async function subAccounts(params, show) {
  const filter = {};
  if (params.get("status")) filter.status = [params.get("status")];
  if (params.get("q")) filter.search = params.get("q");
  const sort = params.get("sort") || "FULL_NAME";
  const direction = params.get("dir") === "DESC" ? "DESC" : "ASC";
  const orderBy = { field: sort, direction };
  const { data: account, pager } = await loadPage({
    // One list per filter and order: its cursors are kept for the page numbers.
    key: JSON.stringify(["sub-accounts", filter, orderBy]),
    params,
    path: "#/sub-accounts",
    hop: async (args) => (await call("SubAccountCursors", { filter, orderBy, ...args })).viewer.account.subAccounts,
    load: async (after) => (await call("SubAccounts", { filter, orderBy, first: PAGE_SIZE, after })).viewer.account,
    connectionOf: (account) => account.subAccounts,
  });
  const page = account.subAccounts;
  const choose = (name, options, current) =>
    h("select", { name }, options.map(([value, text]) => h("option", { value, selected: value === current }, text)));
  const form = h(
    "form",
    { class: "filters", onsubmit: apply },
    h("label", {}, t("Status"), choose("status", [["", t("All")], ["NEW", t("New")], ["ACTIVE", t("Active")], ["BLOCKED", t("Blocked")], ["INACTIVE", t("Inactive")]], params.get("status") || "")),
    h("label", {}, t("Search"), h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    h("label", {}, t("Sort by"), choose("sort", [["FULL_NAME", t("Name")], ["STATUS", t("Status")], ["LINKED_AT", t("Linked")], ["TOTAL_SERVICE_COST", t("Total cost")]], sort)),
    h("label", {}, t("Direction"), choose("dir", [["ASC", t("Ascending")], ["DESC", t("Descending")]], direction)),
    h("button", { type: "submit" }, t("Apply")),
  );
  function apply(event) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) next.set(key, value);
    location.hash = `#/sub-accounts?${next}`;
  }
  const rows = page.nodes.map((a) =>
    h(
      "tr",
      {},
      cell(t("Full name"), accountLink(a)),
      cell(t("Status"), status(a.status)),
      cell(t("Address"), `${a.address.street}, ${a.address.zipCode} ${a.address.city}`),
      // The seed: names and active services both open the sub-account.
      cell(
        t("Active services"),
        a.capabilities.viewDetails
          ? h("a", { href: `#/accounts/${a.id}`, "aria-label": t("{n} active services of {name}", { n: a.activeServicesCount, name: a.fullName }) }, String(a.activeServicesCount))
          : String(a.activeServicesCount),
      ),
      cell(t("Billing"), `${label(a.billingMode)} · ${label(a.subAccountType)}`),
      moneyCell(t("Total cost"), a.totalServiceCost),
    ),
  );
  show(
    h("h1", {}, t("Sub-accounts")),
    account.subAccountManagement ? null : h("p", { id: "read-only" }, t("Your ISP has not enabled sub-account management: the list is read-only.")),
    form,
    h("p", { role: "status" }, page.totalCount === 1 ? t("1 sub-account") : t("{n} sub-accounts", { n: page.totalCount })),
    table("sub-accounts", [t("Full name"), t("Status"), t("Address"), t("Active services"), t("Billing"), t("Total cost")], rows),
    pager,
  );
}
