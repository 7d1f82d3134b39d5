// The reference customer portal: nothing but the public API. Every operation is a trusted
// document of operations/ (loaded from /portal/operations.js) sent by its documentId, so the
// portal works with PORTAL_TRUSTED_DOCUMENTS=require. What the viewer may not do is not
// offered: every button asks Account.capabilities. No build step, no dependencies: one
// module per screen (lists, account, usage, tickets, orders, invoices) on api.js and ui.js.

import { call, forget, listen, remember, setUnread, signedIn, whenSignedOut, who } from "./api.js";
import { accountPage } from "./account.js";
import { invoicesPage } from "./invoices.js";
import { dashboard, subAccounts } from "./lists.js";
import { notificationsPage } from "./notifications.js";
import { manageOrders, orderPage } from "./orders.js";
import { ticketPage } from "./tickets.js";
import { setLocale, t, translateStatic } from "./i18n.js";
import { forgetPages } from "./pages.js";
import { beginScreen, h, perform, setCurrency, showError } from "./ui.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const sessionBar = document.getElementById("session");
const menu = document.getElementById("menu");

/** Shows or hides what only a signed-in visitor has: the sections, the bell, sign out. */
function signedInFrame(on) {
  nav.hidden = !on;
  sessionBar.hidden = !on;
  menu.hidden = !on;
}

// On phones the sections are behind a menu button.
menu.addEventListener("click", () => {
  const open = nav.classList.toggle("open");
  menu.setAttribute("aria-expanded", String(open));
});

/** Marks the section of the current screen in the navigation. */
function markCurrent(path) {
  for (const a of nav.querySelectorAll("a")) {
    const target = a.getAttribute("href").slice(1);
    const here = target === "/" ? path === "/" || path === "" : path === target || path.startsWith(`${target}/`);
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  nav.classList.remove("open");
  menu.setAttribute("aria-expanded", "false");
}

/** Where a signed-out visitor was going (a bookmarked deep link), to go on after sign-in. */
let wanted = null;

function signIn(show) {
  signedInFrame(false);
  brand(null);
  forgetPages();
  navigated = false;
  if (location.hash && location.hash !== "#/") wanted = location.hash;
  const form = h(
    "form",
    { class: "signin", onsubmit: submit },
    h("h1", {}, t("Sign in")),
    h("label", {}, t("Login"), h("input", { name: "login", autocomplete: "username", required: true })),
    h("label", {}, t("Password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, t("Sign in")),
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

/** The partner's look: its name as the portal's title, its accent colour for the header and
 * the navigation (a darker shade for the navigation), its logo beside the name; the
 * portal's own without them. */
let branded = null;
function brand(branding) {
  branded = branding;
  const title = document.querySelector(".brand span");
  const named = branding?.displayName;
  // The portal's own title is translated with the page; a partner's name is its own.
  if (named) title.removeAttribute("data-i18n");
  else title.setAttribute("data-i18n", "Customer portal");
  title.textContent = named ?? t("Customer portal");
  document.title = named ? `${named} · ${t("Customer portal")}` : t("Customer portal");
  const root = document.documentElement.style;
  const color = branding?.accentColor;
  if (color) {
    root.setProperty("--brand", color);
    root.setProperty("--brand-dark", `color-mix(in srgb, ${color} 78%, black)`);
  } else {
    root.removeProperty("--brand");
    root.removeProperty("--brand-dark");
  }
  const logo = document.getElementById("brand-logo");
  logo.hidden = !branding?.logoUrl;
  if (branding?.logoUrl) logo.src = branding.logoUrl;
  else logo.removeAttribute("src");
}

/** The navigation for who is signed in (once per session): links of no use are hidden. */
let navigated = false;
async function navigation() {
  if (navigated) return;
  const { viewer } = await call("Me");
  const me = viewer.account;
  who.account = me;
  setUnread(viewer.unreadNotificationCount);
  setCurrency(me?.currency);
  brand(me?.partner.branding);
  document.getElementById("who").textContent = me?.fullName ?? t("ISP staff");
  const isMain = Boolean(me) && !me.subAccountType;
  document.getElementById("nav-sub-accounts").hidden = !isMain;
  document.getElementById("nav-manage-orders").hidden = !isMain || !me.capabilities.viewBilling;
  document.getElementById("nav-order").hidden = !me;
  document.getElementById("nav-invoices").hidden = !me?.capabilities.viewBilling;
  signedInFrame(true);
  navigated = true;
  viewerIsStaff = !me;
}

/** Staff have the playground, not the customer portal: say so plainly. */
let viewerIsStaff = false;
function staffPage(show) {
  for (const id of ["nav-sub-accounts", "nav-order", "nav-manage-orders", "nav-invoices"]) {
    document.getElementById(id).hidden = true;
  }
  show(
    h("h1", {}, t("This portal is for customers")),
    h("p", {}, t("You are signed in as ISP staff. Staff work in the GraphQL playground, where every staff query and mutation is documented.")),
    h("p", {}, h("a", { href: "/graphql", id: "to-playground" }, t("Open the playground"))),
  );
}

const screens = [
  ["/sub-accounts", (_, params, show) => subAccounts(params, show)],
  ["/orders", (_, params, show) => manageOrders(params, show)],
  ["/order", (_, params, show) => orderPage(params, show)],
  ["/invoices", (_, params, show) => invoicesPage(params, show)],
  ["/notifications", (_, params, show) => notificationsPage(params, show)],
  ["/tickets/", (id, _, show) => ticketPage(id, show)],
  ["/accounts/", (id, _, show) => accountPage(id, show)],
];

async function route() {
  const { show, current } = beginScreen();
  if (!signedIn()) return signIn(show);
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  // A new screen starts without the last one's error.
  showError("");
  markCurrent(path);
  try {
    await navigation();
    listen();
    if (viewerIsStaff) return staffPage(show);
    const found = screens.find(([prefix]) => (prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix));
    if (found) await found[1](decodeURIComponent(path.slice(found[0].length)), params, show);
    else await dashboard(show);
    if (!current()) return;
    // A new screen starts at the top, with focus on it for keyboard and screen readers.
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  } catch (e) {
    // A screen the visitor has left says nothing over the next.
    if (current() && e.code !== "UNAUTHENTICATED") showError(e.message);
  }
}

document.getElementById("signout").addEventListener("click", async () => {
  await call("Logout", {}, false).catch(() => null);
  forget();
  location.hash = "#/";
  route();
});
whenSignedOut(route);
translateStatic();
// A new language: the page's texts, the partner's title around its name, the screen again.
document.getElementById("locale").addEventListener("change", (event) => {
  setLocale(event.target.value);
  brand(branded);
});
window.addEventListener("hashchange", route);
route();
