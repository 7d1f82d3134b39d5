// The portal's defects a business customer met, each checked as it would meet it:
// - the navigation stays hidden until someone signs in;
// - with more than 100 sub-accounts, ordering for one beyond the first 100 orders for that
//   one (never silently for another), and a double click on "Place order and pay" places
//   one order with no error;
// - an error is cleared by the next screen; with the server unreachable the user reads a
//   sentence, not the browser's "Failed to fetch", and it clears once the server answers;
// - the notifications: listed, opened, marked read (the count falls);
// - a bookmarked deep link is where sign-in lands; staff are told the portal is for customers;
// - refusals read as sentences, without codes;
// - the live count survives a server restart (RESTART=1: the checks restart the server on
//   its address with the same database).

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { gql, trusted } from "./api.mjs";
import { pageChecks } from "./pages.mjs";
import { signedIn } from "./portal.mjs";

const AXE = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

/** axe-core on the screen shown: its serious and critical violations, as text. */
async function axe(p) {
  await p.addScriptTag({ content: AXE });
  const found = await p.evaluate(async () => {
    const out = await window.axe.run(document, { resultTypes: ["violations"] });
    return out.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.nodes.length}: ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join(", ")})`);
  });
  return found;
}

const SHOTS = process.env.SHOTS;
const shot = async (p, name) => {
  if (SHOTS) await p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

/** Every screen in one locale: no serious accessibility violation, no sideways scroll on a
 * phone, and a screenshot of each (SHOTS). */
async function screens(browser, api, locale, check) {
  // bypassCSP: axe-core is injected as a script of the test, which the page's policy refuses.
  const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 860 }, bypassCSP: true });
  const p = await ctx.newPage();
  const de = locale.startsWith("de");
  await p.goto(`${api}/portal/`);
  if (de) {
    // A refusal in German: the sentence its code stands for.
    await p.getByLabel("Benutzername").fill("main");
    await p.getByLabel("Passwort").fill("not-the-password");
    await p.getByRole("button", { name: "Anmelden" }).click();
    await p.locator("#error").waitFor({ state: "visible" });
    const refused = await p.locator("#error").textContent();
    check(refused === "Benutzername oder Passwort ist falsch.", `a refusal reads in German (${refused})`);
  }
  await p.getByLabel(de ? "Benutzername" : "Login").fill("main");
  await p.getByLabel(de ? "Passwort" : "Password").fill("demo-pass");
  await p.getByRole("button", { name: de ? "Anmelden" : "Sign in" }).click();
  await p.locator("#card-recent").waitFor({ timeout: 20000 });
  const tag = de ? "de" : "en";
  // The demo's sub-account with services, usage and tickets (the newest links have none).
  await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
  await p.locator("#sub-accounts tbody tr a").first().waitFor({ timeout: 20000 });
  const accounts = await p.locator("#sub-accounts tbody tr a").first().getAttribute("href");
  const list = [
    ["dashboard", "#/", "#card-recent"],
    ["sub-accounts", "#/sub-accounts", "#sub-accounts tbody tr"],
    ["sub-account", accounts, "#services"],
    ["order", "#/order", "#catalogue"],
    ["orders", "#/orders?all=1", "#orders"],
    ["invoices", "#/invoices", "#invoices"],
    ["notifications", "#/notifications", "#main h1"],
  ];
  for (const [name, hash, ready] of list) {
    await p.goto(`${api}/portal/${hash}`);
    await p.locator(ready).first().waitFor({ timeout: 20000 });
    const violations = await axe(p);
    check(violations.length === 0, `${tag} ${name}: no serious accessibility violation (${violations.join("; ")})`);
    await shot(p, `portal-${tag}-${name}`);
  }
  if (de) {
    const nav = await p.locator("#nav").textContent();
    check(/Unterkonten/.test(nav) && /Bestellungen verwalten/.test(nav), `the navigation speaks German (${nav.replace(/\s+/g, " ").trim()})`);
    await p.goto(`${api}/portal/#/sub-accounts`);
    await p.locator("#sub-accounts td.money").first().waitFor();
    const cost = await p.locator("#sub-accounts td.money").first().textContent();
    check(/^[\d.]+,\d{2}\s€$/.test(cost.trim()), `amounts in German form (${cost})`);
    // The server's own sentences in German: the notifications it tells.
    await p.goto(`${api}/portal/#/notifications`);
    await p.locator("#notifications li").first().waitFor({ timeout: 20000 });
    const told = (await p.locator("#notifications li").allTextContents()).join(" | ");
    check(/hat die Bestellung|Bestellung|Rechnung/.test(told) && !/ placed order| was approved| expires|Sub account/.test(told), `notifications read in German (${told.slice(0, 160)})`);
    await p.goto(`${api}/portal/#/sub-accounts`);
    await p.locator("#sub-accounts tbody tr").first().waitFor();
    await p.locator("#locale").selectOption("en");
    await p.getByRole("heading", { name: "Sub-accounts" }).waitFor({ timeout: 10000 });
    check(true, "the language switch turns the portal English");
    await p.locator("#locale").selectOption("de");
  }
  // A phone: the sections behind a menu, nothing wider than the screen.
  await p.setViewportSize({ width: 390, height: 844 });
  for (const [name, hash] of list) {
    await p.goto(`${api}/portal/${hash}`);
    await p.locator("#main h1").first().waitFor({ timeout: 20000 });
    await p.waitForLoadState("networkidle");
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!wide, `${tag} ${name} fits a phone without sideways scroll`);
    if (name === "dashboard") await shot(p, `portal-${tag}-phone`);
  }
  await p.getByRole("button", { name: de ? "Menü" : "Menu" }).click();
  await p.locator("#nav a").first().waitFor({ state: "visible" });
  check(true, `${tag}: on a phone the sections open from the menu`);
  await ctx.close();
}

/** 101 more aggregated sub-accounts of the demo's main, named to sort after the others. */
async function manySubAccounts(api, staff) {
  const { accounts } = await gql(api, staff, '{ accounts(filter: {search: "main"}, first: 5) { nodes { id login } } }');
  const main = accounts.nodes.find((a) => a.login === "main");
  let last = null;
  for (let i = 1; i <= 101; i++) {
    const n = String(i).padStart(3, "0");
    const made = await gql(
      api,
      staff,
      `mutation($l: String!, $n: String!) { createAccount(input: {login: $l, password: "site-pass-123", fullName: $n, status: ACTIVE,
        address: {street: "Ringstraße ${i}", city: "Berlin", zipCode: "10115", country: "DE"}}) { account { id } userErrors { message } } }`,
      { l: `site-${n}`, n: `Zz Site ${n}` },
    );
    const id = made.createAccount.account.id;
    const linked = await gql(api, staff, "mutation($m: ID!, $s: ID!) { linkSubAccount(input: {mainAccountId: $m, subAccountId: $s, type: AGGREGATED}) { userErrors { message } } }", { m: main.id, s: id });
    if (linked.linkSubAccount.userErrors.length) throw new Error(JSON.stringify(linked));
    last = { mainId: main.id, id, name: `Zz Site ${n}` };
  }
  return last;
}

/** The partner's branding from the API: its colour on the header, its logo shown (loaded);
 * signed out, the portal's own look again. */
async function brandingChecks(p, api, staff, check) {
  const { partners } = await gql(api, staff, "{ partners { name branding { displayName accentColor logoUrl } } }");
  const { displayName, accentColor, logoUrl } = partners[0].branding;
  const title = await p.locator("header .brand").textContent();
  check(Boolean(displayName) && title.trim() === displayName, `the header names the partner (${title})`);
  const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;
  const header = () => p.evaluate(() => getComputedStyle(document.querySelector("header")).backgroundColor);
  check(Boolean(accentColor && logoUrl), `the demo partner has a colour and a logo (${accentColor}, ${logoUrl})`);
  check((await header()) === rgb(accentColor), `the header wears the partner's colour (${await header()})`);
  await p.waitForFunction(() => document.getElementById("brand-logo").naturalWidth > 0, null, { timeout: 10000 }).catch(() => null);
  const logo = await p.locator("#brand-logo").evaluate((img) => ({ shown: img.checkVisibility(), width: img.naturalWidth, src: img.getAttribute("src") }));
  check(logo.shown && logo.width > 0 && logo.src === logoUrl, `the partner's logo is shown (${JSON.stringify(logo)})`);
  await p.getByRole("button", { name: "Sign out" }).click();
  await p.getByRole("button", { name: "Sign in" }).waitFor();
  const own = (await p.locator("header .brand").textContent()).trim();
  check((await header()) !== rgb(accentColor) && !(await p.locator("#brand-logo").isVisible()) && own === "Customer portal", `signed out, the portal's own look again (${own})`);
}

export async function defectChecks(browser, api, check) {
  const watch = { elsewhere: [], errors: [] };
  const staff = process.env.STAFF_TOKEN;

  // Before sign-in: no navigation, no "Sign out".
  {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${api}/portal/#/orders`);
    await p.getByRole("button", { name: "Sign in" }).waitFor();
    check(!(await p.locator("#nav").isVisible()), "the navigation is hidden before sign-in");
    check(!(await p.getByRole("button", { name: "Sign out" }).isVisible()), "no Sign out before sign-in");
    // A bookmarked deep link is where sign-in lands.
    await p.getByLabel("Login").fill("main");
    await p.getByLabel("Password").fill("demo-pass");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.locator("#main h1", { hasText: "Manage orders" }).waitFor({ timeout: 20000 });
    check(new URL(p.url()).hash === "#/orders", `sign-in lands on the bookmarked screen (${p.url()})`);
    await brandingChecks(p, api, staff, check);
    await ctx.close();
  }

  // Ordering for a sub-account beyond the first 100, and a double click on pay.
  const site = await manySubAccounts(api, staff);
  const { ctx, p } = await signedIn(browser, api, "main", watch);
  await p.goto(`${api}/portal/#/order?account=${encodeURIComponent(site.id)}`);
  await p.locator("#ordering-for").waitFor();
  const ordering = await p.locator("#ordering-for").textContent();
  check(ordering === site.name, `ordering for the 101st sub-account orders for it (${ordering})`);
  await p.locator("#catalogue tbody tr").first().getByRole("button").click();
  await p.locator("#cart tbody tr").first().waitFor();
  await p.getByRole("button", { name: "Place order and pay" }).dblclick();
  await p.locator("#placed", { hasText: "Order" }).waitFor({ timeout: 20000 });
  check(await p.locator("#error").isHidden(), `a double click on pay shows no error (${await p.locator("#error").textContent()})`);
  const orders = await gql(api, staff, 'query($id: ID!) { node(id: $id) { ... on Account { orders { totalCount } } } }', { id: site.id });
  check(orders.node.orders.totalCount === 1, `a double click places one order (${orders.node.orders.totalCount})`);
  // An account the viewer may not order for is said so, not swapped for another.
  await p.goto(`${api}/portal/#/order?account=QWNjb3VudDo5OTk5OTk`);
  await p.locator("#cannot-order").waitFor();
  check(true, "an unknown account on the order page is refused, not swapped");

  // Numbered pages over the 100-odd sub-accounts.
  await pageChecks(p, api, staff, site.mainId, check);

  // An error clears on the next screen.
  await p.goto(`${api}/portal/#/tickets/VGlja2V0Ojk5OTk5OQ`);
  await p.locator("#error").waitFor({ state: "visible" });
  await p.getByRole("link", { name: "Sub-accounts", exact: true }).click();
  await p.locator("#sub-accounts").waitFor();
  check(await p.locator("#error").isHidden(), "an error banner clears on the next screen");
  // The server out of reach: a sentence, cleared once it answers again.
  await p.route("**/graphql", (route) => route.abort());
  await p.getByRole("link", { name: "Dashboard", exact: true }).click();
  await p.locator("#error").waitFor({ state: "visible" });
  const offline = await p.locator("#error").textContent();
  check(/cannot reach the server/.test(offline) && !/Failed to fetch/.test(offline), `an unreachable server is said in words (${offline})`);
  await p.unroute("**/graphql");
  await p.getByRole("link", { name: "Sub-accounts", exact: true }).click();
  const cleared = await p.locator("#error").waitFor({ state: "hidden", timeout: 10000 }).then(() => true).catch(() => false);
  check(cleared, "the banner clears once the server answers");

  // Notifications: listed, opened, marked read.
  await p.getByRole("link", { name: /^Notifications/ }).click();
  await p.locator("#main h1", { hasText: "Notifications" }).waitFor();
  const before = Number(await p.locator("#unread").textContent());
  const unread = p.locator("#notifications li.unread");
  if (before > 0 && (await unread.count()) > 0) {
    await unread.first().getByRole("button", { name: "Mark read" }).click();
    await p.waitForFunction((n) => Number(document.getElementById("unread").textContent) === n - 1, before);
    check(true, "marking a notification read lowers the count");
    const link = p.locator("#notifications li a").first();
    await link.click();
    await p.waitForFunction(() => !location.hash.startsWith("#/notifications"));
    check(true, `a notification opens what it is about (${new URL(p.url()).hash})`);
  } else {
    check(false, `the demo's main has unread notifications to open (${before})`);
  }

  // Refusals as sentences: no codes in parentheses.
  await p.goto(`${api}/portal/#/order?account=${encodeURIComponent(site.id)}`);
  await p.locator("#ordering-for").waitFor();
  await p.locator("#catalogue tbody tr").first().getByRole("button").click();
  await p.locator("#cart tbody tr").first().waitFor();
  await p.getByLabel("By card (test gateway)").check();
  await p.locator("select[name=token]").selectOption("tok_declined");
  await p.getByRole("button", { name: "Place order and pay" }).click();
  await p.locator("#error").waitFor({ state: "visible" });
  const refusal = await p.locator("#error").textContent();
  check(!/\([A-Z_]+\)/.test(refusal), `a refusal reads without its code (${refusal})`);
  await p.getByRole("link", { name: "Dashboard", exact: true }).click();

  // Amounts carry their currency and never break.
  await p.goto(`${api}/portal/#/sub-accounts`);
  await p.locator("#sub-accounts tbody tr").first().waitFor();
  const cost = await p.locator("#sub-accounts td.money").first().textContent();
  check(/€|EUR/.test(cost), `amounts show their currency (${cost})`);

  // The live count after a server restart.
  if (process.env.RESTART === "1") await liveAfterRestart(api, p, check);
  await ctx.close();

  // Staff are told what the portal is for.
  {
    const ctx = await browser.newContext();
    const s = await ctx.newPage();
    await s.goto(`${api}/portal/`);
    await s.getByLabel("Login").fill("staff");
    await s.getByLabel("Password").fill("staff-demo-pass");
    await s.getByRole("button", { name: "Sign in" }).click();
    await s.locator("#to-playground").waitFor({ timeout: 20000 });
    check(true, "staff signing in are sent to the playground");
    await ctx.close();
  }
  await screens(browser, api, "en-GB", check);
  await screens(browser, api, "de-DE", check);
  // The aborted requests (server out of reach) and the socket's tries while the server
  // restarted are errors the browser logs by design; anything else is a defect.
  const expected = /Failed to load resource|ERR_FAILED|WebSocket connection to .* failed/;
  const unexpected = watch.errors.filter((e) => !expected.test(e));
  check(unexpected.length === 0, `no console errors (${unexpected.join(" | ")})`);
}

/** The server the checks started in place of the first (stopped when they end). */
let restarted = null;
export const stopRestarted = () => restarted?.kill("SIGTERM");

/** Restarts the server on its address (same database) and checks the bell still rises. */
async function liveAfterRestart(api, p, check) {
  const pid = Number(process.env.SERVER_PID);
  const bind = new URL(api).host;
  const before = Number(await p.locator("#unread").textContent());
  process.kill(pid, "SIGTERM");
  // The old server drains, then its port is free for the new one.
  let server = null;
  for (let i = 0; i < 100 && !server; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const up = await fetch(`${api}/healthz`).then(() => true).catch(() => false);
    if (!up) {
      server = spawn(process.env.PORTAL_BIN, ["serve", "--bind", bind, "--demo"], { stdio: "ignore", env: process.env });
      // Node must not wait for it: the checks end the process, and it with them.
      server.unref();
    }
  }
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${api}/readyz`).then((r) => r.ok).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Something for the main while its page stays open: the sub-account asks it to approve.
  const login = await trusted(api, null, "Login", { login: "sub02", password: "demo-pass" });
  const sub = login.login.accessToken;
  // The socket reconnects with backoff (1 s, then 2 s, ...): wait for it to come back.
  await p.waitForTimeout(3500);
  const { tariffs } = await trusted(api, sub, "Tariffs");
  const me = await trusted(api, sub, "Me");
  const placed = await trusted(api, sub, "PlaceOrder", { accountId: me.viewer.account.id, items: [{ tariffId: tariffs[0].id, quantity: 1 }] });
  check(placed.placeOrder.order?.status === "AWAITING_MAIN_APPROVAL", `the sub-account asks its main (${JSON.stringify(placed.placeOrder)})`);
  const rose = await p
    .waitForFunction((n) => Number(document.getElementById("unread").textContent) > n, before, { timeout: 20000 })
    .then(() => true)
    .catch(() => false);
  check(rose, "the live count rises after the server restarted");
  process.on("exit", () => server?.kill("SIGTERM"));
  restarted = server;
}
