// The reference customer portal: nothing but the public API. Every operation is a trusted
// document of operations/ (loaded from /portal/operations.js) sent by its documentId, so the
// portal works with PORTAL_TRUSTED_DOCUMENTS=require. What the viewer may not do is not
// offered: every button asks Account.capabilities. No build step, no dependencies: one
// module per screen (lists, account, usage, tickets, orders, invoices) on api.js and ui.js.

import { call, forget, listen, remember, setUnread, signedIn, whenSignedOut } from "./api.js";
import { accountPage } from "./account.js";
import { invoicesPage } from "./invoices.js";
import { dashboard, subAccounts } from "./lists.js";
import { manageOrders, orderPage } from "./orders.js";
import { ticketPage } from "./tickets.js";
import { h, perform, show, showError } from "./ui.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");

function signIn() {
  nav.hidden = true;
  navigated = false;
  const form = h(
    "form",
    { class: "signin", onsubmit: submit },
    h("h1", {}, "Sign in"),
    h("label", {}, "Login", h("input", { name: "login", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"),
  );
  function submit(event) {
    event.preventDefault();
    const data = new FormData(form);
    perform("Login", { login: data.get("login"), password: data.get("password") }, (out) => {
      remember(out);
      location.hash = "#/";
      return route();
    });
  }
  show(form);
  form.querySelector("input").focus();
}

/** The navigation for who is signed in (once per session): links of no use are hidden. */
let navigated = false;
async function navigation() {
  if (navigated) return;
  const { viewer } = await call("Me");
  const me = viewer.account;
  setUnread(viewer.unreadNotificationCount);
  document.getElementById("who").textContent = me?.fullName ?? "Staff";
  const isMain = Boolean(me) && !me.subAccountType;
  document.getElementById("nav-sub-accounts").hidden = !isMain;
  document.getElementById("nav-manage-orders").hidden = !isMain || !me.capabilities.viewBilling;
  document.getElementById("nav-order").hidden = !me;
  document.getElementById("nav-invoices").hidden = !me?.capabilities.viewBilling;
  nav.hidden = false;
  navigated = true;
}

const screens = [
  ["/sub-accounts", (_, params) => subAccounts(params)],
  ["/orders", (_, params) => manageOrders(params)],
  ["/order", (_, params) => orderPage(params)],
  ["/invoices", (_, params) => invoicesPage(params)],
  ["/tickets/", (id) => ticketPage(id)],
  ["/accounts/", (id) => accountPage(id)],
];

async function route() {
  if (!signedIn()) return signIn();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  try {
    await navigation();
    listen();
    const found = screens.find(([prefix]) => (prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix));
    if (found) await found[1](decodeURIComponent(path.slice(found[0].length)), params);
    else await dashboard();
    // A new screen starts at the top, with focus on it for keyboard and screen readers.
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  } catch (e) {
    if (e.code !== "UNAUTHENTICATED") showError(e.message);
  }
}

document.getElementById("signout").addEventListener("click", async () => {
  await call("Logout", {}, false).catch(() => null);
  forget();
  location.hash = "#/";
  route();
});
whenSignedOut(route);
window.addEventListener("hashchange", route);
route();
