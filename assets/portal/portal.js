// The reference customer portal: nothing but the public API. Every operation is a trusted
// document of operations/ (loaded from /portal/operations.js) sent by its documentId, so the
// portal works with PORTAL_TRUSTED_DOCUMENTS=require. What the viewer may not do is not
// offered: every button asks Account.capabilities. No build step, no dependencies: one
// module per screen (lists, account, usage, tickets, orders, invoices) on api.js and ui.js.

import { call, forget, listen, remember, setUnread, signedIn, whenSignedOut } from "./api.js";
import { accountPage } from "./account.js";
import { invoicesPage } from "./invoices.js";
import { dashboard, subAccounts } from "./lists.js";
import { notificationsPage } from "./notifications.js";
import { manageOrders, orderPage } from "./orders.js";
import { ticketPage } from "./tickets.js";
import { h, perform, setCurrency, show, showError } from "./ui.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");

/** Where a signed-out visitor was going (a bookmarked deep link), to go on after sign-in. */
let wanted = null;

function signIn() {
  nav.hidden = true;
  navigated = false;
  if (location.hash && location.hash !== "#/") wanted = location.hash;
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
      const next = wanted ?? "#/";
      wanted = null;
      if (location.hash === next) return route();
      location.hash = next;
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
  setCurrency(me?.currency);
  document.getElementById("who").textContent = me?.fullName ?? "ISP staff";
  const isMain = Boolean(me) && !me.subAccountType;
  document.getElementById("nav-sub-accounts").hidden = !isMain;
  document.getElementById("nav-manage-orders").hidden = !isMain || !me.capabilities.viewBilling;
  document.getElementById("nav-order").hidden = !me;
  document.getElementById("nav-invoices").hidden = !me?.capabilities.viewBilling;
  nav.hidden = false;
  navigated = true;
  viewerIsStaff = !me;
}

/** Staff have the playground, not the customer portal: say so plainly. */
let viewerIsStaff = false;
function staffPage() {
  for (const id of ["nav-sub-accounts", "nav-order", "nav-manage-orders", "nav-invoices"]) {
    document.getElementById(id).hidden = true;
  }
  show(
    h("h1", {}, "This portal is for customers"),
    h("p", {}, "You are signed in as ISP staff. Staff work in the GraphQL playground, where every staff query and mutation is documented."),
    h("p", {}, h("a", { href: "/graphql", id: "to-playground" }, "Open the playground")),
  );
}

const screens = [
  ["/sub-accounts", (_, params) => subAccounts(params)],
  ["/orders", (_, params) => manageOrders(params)],
  ["/order", (_, params) => orderPage(params)],
  ["/invoices", (_, params) => invoicesPage(params)],
  ["/notifications", (_, params) => notificationsPage(params)],
  ["/tickets/", (id) => ticketPage(id)],
  ["/accounts/", (id) => accountPage(id)],
];

async function route() {
  if (!signedIn()) return signIn();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  // A new screen starts without the last one's error.
  showError("");
  try {
    await navigation();
    listen();
    if (viewerIsStaff) return staffPage();
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
