// The dashboard and the sub-accounts table.

import { call, setUnread } from "./api.js";
import { cell, date, h, label, moneyCell, show, status, table } from "./ui.js";

const accountLink = (a) => (a.capabilities.viewDetails ? h("a", { href: `#/accounts/${a.id}` }, a.fullName) : a.fullName);

export async function dashboard() {
  const { viewer } = await call("Dashboard");
  const me = viewer.account;
  setUnread(viewer.unreadNotificationCount);
  const recent = me?.recentlyLinkedSubAccounts ?? [];
  // A sub-account has no sub-accounts of its own to list.
  const subs = me?.subAccountType
    ? null
    : [
        h("h2", {}, "Recently linked sub-accounts"),
        recent.length
          ? h("ul", { id: "recent" }, recent.map((a) => h("li", {}, accountLink(a), " ", status(a.status), " ", date(a.linkedAt))))
          : h("p", {}, "No sub-accounts yet."),
        h("p", {}, h("a", { href: "#/sub-accounts" }, "All sub-accounts")),
      ];
  show(
    h("h1", {}, `Welcome, ${me?.fullName ?? "staff"}`),
    subs,
    me ? h("p", {}, h("a", { href: `#/accounts/${me.id}` }, "My account")) : null,
  );
}

export async function subAccounts(params) {
  const filter = {};
  if (params.get("status")) filter.status = [params.get("status")];
  if (params.get("q")) filter.search = params.get("q");
  const sort = params.get("sort") || "FULL_NAME";
  const direction = params.get("dir") === "DESC" ? "DESC" : "ASC";
  const variables = { filter, orderBy: { field: sort, direction }, first: 20, after: params.get("after") || null };
  const account = (await call("SubAccounts", variables)).viewer.account;
  const page = account.subAccounts;
  const choose = (name, options, current) =>
    h("select", { name }, options.map(([value, text]) => h("option", { value, selected: value === current }, text)));
  const form = h(
    "form",
    { class: "filters", onsubmit: apply },
    h("label", {}, "Status", choose("status", [["", "All"], ["NEW", "New"], ["ACTIVE", "Active"], ["BLOCKED", "Blocked"], ["INACTIVE", "Inactive"]], params.get("status") || "")),
    h("label", {}, "Search", h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    h("label", {}, "Sort by", choose("sort", [["FULL_NAME", "Name"], ["STATUS", "Status"], ["LINKED_AT", "Linked"], ["TOTAL_SERVICE_COST", "Total cost"]], sort)),
    h("label", {}, "Order", choose("dir", [["ASC", "Ascending"], ["DESC", "Descending"]], direction)),
    h("button", { type: "submit" }, "Apply"),
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
      cell("Full name", accountLink(a)),
      cell("Status", status(a.status)),
      cell("Address", `${a.address.street}, ${a.address.zipCode} ${a.address.city}`),
      // The seed: names and active services both open the sub-account.
      cell(
        "Active services",
        a.capabilities.viewDetails
          ? h("a", { href: `#/accounts/${a.id}`, "aria-label": `${a.activeServicesCount} active services of ${a.fullName}` }, String(a.activeServicesCount))
          : String(a.activeServicesCount),
      ),
      cell("Billing", `${label(a.billingMode)} · ${label(a.subAccountType)}`),
      moneyCell("Total cost", a.totalServiceCost),
    ),
  );
  const more = new URLSearchParams(params);
  more.set("after", page.pageInfo.endCursor || "");
  show(
    h("h1", {}, "Sub-accounts"),
    account.subAccountManagement ? null : h("p", { id: "read-only" }, "Your ISP has not enabled sub-account management: the list is read-only."),
    form,
    h("p", { role: "status" }, page.totalCount === 1 ? "1 sub-account" : `${page.totalCount} sub-accounts`),
    table("sub-accounts", ["Full name", "Status", "Address", "Active services", "Billing", "Total cost"], rows),
    page.pageInfo.hasNextPage ? h("p", {}, h("a", { href: `#/sub-accounts?${more}` }, "Next page")) : null,
  );
}
