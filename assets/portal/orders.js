// Ordering: choose the account, fill a cart for it (one account at a time, priced by the
// server's orderQuote), pay from the balance or by the test gateway, or ask the main account.
// t("Manage orders"): a main account approves (by paying) or rejects its sub-accounts' orders.

import { call } from "./api.js";
import { cell, date, go, h, label, money, moneyCell, perform, status, table } from "./ui.js";
import { t } from "./i18n.js";
import { PAGE_SIZE, loadPage } from "./pages.js";

/** The cart: one account's lines (tariff id → quantity) and the key that makes paying once. */
let cart = { accountId: null, lines: new Map(), key: null };

/** A fresh idempotency key: one per attempt to pay (a retry of the same click reuses it). */
function newKey(prefix) {
  // getRandomValues works on plain http too (randomUUID needs a secure context).
  const key = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}-${key}`;
}

function empty(accountId) {
  cart = { accountId, lines: new Map(), key: newKey("cart") };
}

/** The key of each order's approval, until an attempt is refused. */
const approvals = new Map();

export async function orderPage(params, show) {
  const [{ viewer }, { tariffs }] = await Promise.all([call("OrderAccounts"), call("Tariffs")]);
  const me = viewer.account;
  const accounts = [me, ...me.subAccounts.nodes].filter((a) => a.capabilities.order);
  // The account asked for is the one ordered for, even beyond the first page of the list;
  // an account the viewer may not order for is said so, never swapped for another.
  const asked = params.get("account");
  if (asked && !accounts.some((a) => a.id === asked)) {
    const found = (await call("SubAccount", { id: asked }).catch(() => null))?.node;
    if (!found?.capabilities?.order) {
      return show(
        h("h1", {}, t("Order services")),
        h("p", { id: "cannot-order", role: "alert" }, t("You cannot order services for this account.")),
        h("p", {}, h("a", { href: "#/order" }, t("Choose another account"))),
      );
    }
    accounts.push({ id: found.id, fullName: found.fullName, capabilities: found.capabilities });
  }
  if (!accounts.length) return show(h("h1", {}, t("Order services")), h("p", {}, t("There is no account you may order for.")));
  const chosen = accounts.find((a) => a.id === asked) ?? accounts[0];
  let notice = null;
  if (cart.accountId !== chosen.id) {
    if (cart.lines.size) notice = "A cart holds one account's services: it was emptied for this account.";
    empty(chosen.id);
  }
  // An aggregated sub-account ordering for itself asks its main (no payment).
  const asksMain = chosen.id === me.id && me.subAccountType === "AGGREGATED";
  const again = () => orderPage(params, show);
  const items = [...cart.lines].map(([tariffId, quantity]) => ({ tariffId, quantity }));
  const quote = items.length ? (await call("OrderQuote", { accountId: chosen.id, items })).orderQuote : null;

  const pick = h(
    "select",
    { name: "account", onchange: () => go(`#/order?account=${encodeURIComponent(pick.value)}`) },
    accounts.map((a) => h("option", { value: a.id, selected: a.id === chosen.id }, a.id === me.id ? t("{name} (my account)", { name: a.fullName }) : a.fullName)),
  );
  const add = (tariff, quantity) => {
    const wanted = (cart.lines.get(tariff.id) ?? 0) + Math.trunc(quantity);
    cart.lines.set(tariff.id, Math.max(1, Math.min(100, wanted)));
    again();
  };
  const catalogue = table(
    "catalogue",
    [t("Service"), t("Price"), t("Tax"), t("Add")],
    tariffs.map((tariff) => {
      const amount = h("input", { type: "number", min: 1, max: 100, value: 1, name: `quantity-${tariff.id}`, "aria-label": t("Quantity of {name}", { name: tariff.name }) });
      return h(
        "tr",
        {},
        cell(t("Service"), `${tariff.name} (${label(tariff.kind)}, ${label(tariff.period)})`),
        moneyCell(t("Price"), tariff.price),
        cell(t("Tax"), `${tariff.taxPercent}%`),
        cell(t("Add"), amount, " ", h("button", { type: "button", onclick: () => add(tariff, Number(amount.value) || 1) }, t("Add {name}", { name: tariff.name }))),
      );
    }),
  );
  show(
    h("h1", {}, ...heading(t("Order services for {name}"), h("span", { id: "ordering-for" }, chosen.fullName))),
    notice ? h("p", { role: "status" }, notice) : null,
    // The confirmation of the last order, at the top where it is seen.
    h("p", { id: "placed", role: "status" }),
    h("label", {}, t("Order for"), pick),
    h("h2", {}, t("Cart")),
    quote ? cartTable(quote, again) : h("p", { id: "cart-empty" }, t("The cart is empty.")),
    quote ? checkout(chosen, me, asksMain, items, show) : null,
    h("h2", {}, t("Services")),
    catalogue,
  );
}

/** A translated text with an element where its `{name}` stands. */
function heading(text, element) {
  const [before, after] = text.split("{name}");
  return [before, element, after ?? ""];
}

function cartTable(quote, again) {
  const rows = quote.lines.map((l) =>
    h(
      "tr",
      {},
      cell(t("Service"), l.tariff.name),
      cell(t("Quantity"), String(l.quantity)),
      moneyCell(t("Unit price"), l.unitPrice),
      cell(t("Tax"), `${l.taxPercent}%`),
      moneyCell(t("Total"), l.total),
      cell("", h("button", { type: "button", onclick: () => { cart.lines.delete(l.tariff.id); again(); } }, t("Remove {name}", { name: l.tariff.name }))),
    ),
  );
  return [
    table("cart", [t("Service"), t("Quantity"), t("Unit price"), t("Tax"), t("Total"), ""], rows),
    h("p", { id: "cart-total", class: "money" }, t("Subtotal {subtotal} · tax {tax} · total {total}", { subtotal: money(quote.subtotal), tax: money(quote.tax), total: money(quote.total) })),
  ];
}

function checkout(account, me, asksMain, items, show) {
  const form = h(
    "form",
    { class: "filters", id: "checkout", onsubmit: place },
    asksMain
      ? h("p", {}, t("Your main account approves and pays this order."))
      : [
          h("label", {}, h("input", { type: "radio", name: "pay", value: "ACCOUNT_BALANCE", checked: true }), t("From the balance") + (me.balance == null ? "" : ` (${money(me.balance)})`)),
          h("label", {}, h("input", { type: "radio", name: "pay", value: "GATEWAY" }), t("By card (test gateway)")),
          h(
            "label",
            {},
            t("Test card"),
            h("select", { name: "token" }, h("option", { value: "tok_ok" }, t("Approved (tok_ok)")), h("option", { value: "tok_declined" }, t("Declined (tok_declined)"))),
          ),
        ],
    h("button", { type: "submit" }, asksMain ? t("Ask my main account") : t("Place order and pay")),
  );
  function place(event) {
    event.preventDefault();
    const data = new FormData(form);
    const paymentMethod = asksMain ? null : data.get("pay") === "GATEWAY" ? { kind: "GATEWAY", gatewayToken: data.get("token") } : { kind: "ACCOUNT_BALANCE" };
    const button = form.querySelector("button[type=submit]");
    perform(
      "PlaceOrder",
      { accountId: account.id, items, paymentMethod, idempotencyKey: cart.key },
      async (out) => {
        empty(account.id);
        await orderPage(new URLSearchParams({ account: account.id }), show);
        document.getElementById("placed").textContent = t("Order {number}: {status}", { number: out.order.number, status: label(out.order.status) });
      },
      // The cart stays; paying again is a new attempt with its own key.
      () => (cart.key = newKey("cart")),
      button,
    );
  }
  return form;
}

function approvalKey(orderId) {
  if (!approvals.has(orderId)) approvals.set(orderId, newKey("approve"));
  return approvals.get(orderId);
}

export async function manageOrders(params, show) {
  const waiting = params.get("all") ? null : ["AWAITING_MAIN_APPROVAL"];
  const { data: account, pager } = await loadPage({
    key: JSON.stringify(["orders", waiting]),
    params,
    path: "#/orders",
    hop: async (args) => (await call("OrderCursors", { status: waiting, ...args })).viewer.account.subAccountOrders,
    load: async (after) => (await call("ManageOrders", { status: waiting, first: PAGE_SIZE, after })).viewer.account,
    connectionOf: (account) => account.subAccountOrders,
  });
  const total = account.subAccountOrders.totalCount;
  const done = () => go("#/orders?all=1");
  // Approving pays with the method the main chooses; rejecting says why.
  const approve = (o, method, button) =>
    perform(
      "ApproveOrder",
      {
        orderId: o.id,
        paymentMethod: method === "GATEWAY" ? { kind: "GATEWAY", gatewayToken: "tok_ok" } : { kind: "ACCOUNT_BALANCE" },
        idempotencyKey: approvalKey(o.id),
      },
      done,
      () => approvals.delete(o.id),
      button,
    );
  const reject = (o, reason, button) =>
    perform("RejectOrder", { orderId: o.id, reason: reason.trim() || "Rejected by the main account" }, done, () => {}, button);
  const actions = (o) => {
    const method = h(
      "select",
      { name: `pay-${o.number}`, "aria-label": t("Pay {number} with", { number: o.number }) },
      h("option", { value: "ACCOUNT_BALANCE" }, t("From the balance")),
      h("option", { value: "GATEWAY" }, t("By card")),
    );
    const reason = h("input", { name: `reason-${o.number}`, "aria-label": t("Why {number} is rejected", { number: o.number }), placeholder: t("Reason") });
    const approveButton = h("button", { type: "button", onclick: () => approve(o, method.value, approveButton) }, t("Approve {number} (pay)", { number: o.number }));
    const rejectButton = h("button", { type: "button", onclick: () => reject(o, reason.value, rejectButton) }, t("Reject {number}", { number: o.number }));
    return [method, " ", approveButton, " ", reason, " ", rejectButton];
  };
  const rows = account.subAccountOrders.nodes.map((o) =>
    h(
      "tr",
      { "data-order": o.number },
      cell(t("Order"), o.number),
      cell(t("Date"), date(o.createdAt)),
      cell(t("Sub-account"), o.account.fullName),
      cell(t("Items"), o.items.map((i) => `${i.quantity} × ${i.tariff.name}`).join(", ")),
      h("td", { "data-label": t("Status"), class: "order-status" }, status(o.status)),
      moneyCell(t("Total"), o.total),
      h(
        "td",
        { "data-label": t("Invoice"), class: "order-invoice" },
        o.invoice?.document ? h("a", { href: o.invoice.document.downloadUrl, target: "_blank", rel: "noopener" }, o.invoice.number) : o.invoice?.number ?? "",
      ),
      cell(
        t("Actions"),
        o.status === "AWAITING_MAIN_APPROVAL" && o.account.capabilities.manageOrders ? actions(o) : null,
        o.expiresAt && o.status === "AWAITING_MAIN_APPROVAL" ? " " + t("expires {date}", { date: date(o.expiresAt) }) : null,
      ),
    ),
  );
  show(
    h("h1", {}, t("Manage orders")),
    h("p", {}, waiting ? h("a", { href: "#/orders?all=1" }, t("Show all orders")) : h("a", { href: "#/orders" }, t("Show waiting orders only"))),
    h("p", { role: "status" }, total === 1 ? t("1 order") : t("{n} orders", { n: total })),
    table("orders", [t("Order"), t("Date"), t("Sub-account"), t("Items"), t("Status"), t("Total"), t("Invoice"), t("Actions")], rows),
    pager,
  );
}
