// Browser checks in headless Chromium (Debian's `chromium`), driven by playwright-core:
//
// 1. The playground works with no outside network: the editor renders, the first example
//    tab (Login, with the demo logins) runs, its result appears, and the page asks no other
//    host for anything.
// 2. CORS: a page on an allowed second origin calls the API (preflight included, because it
//    sends `Authorization`); a page on an origin outside the allowlist cannot.
// 3. The reference portal (/portal/, the root redirects there) signed in as the demo's main
//    account: the dashboard lists the recently linked sub-accounts, the table filters by
//    status, an aggregated sub-account's service is paused and resumed; on a phone-sized
//    screen too; no request to another host, no console errors.
//
// Environment: API (http://IP:PORT of portal-api, demo data seeded), ALLOWED_PORT and
// OTHER_PORT (where this script serves the two origins' pages), SHOTS (folder for
// screenshots, optional), CHROMIUM (default /usr/bin/chromium).
import http from "node:http";
import { chromium } from "playwright-core";

const api = process.env.API;
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

// The two origins' pages: each posts a query with a bearer token to the API.
const page = () => `<!doctype html><html><body><script>
window.callApi = async () => {
  try {
    const r = await fetch(${JSON.stringify(api)} + "/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-a-token" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    return { status: r.status, body: await r.text() };
  } catch (e) {
    return { error: String(e) };
  }
};
</script></body></html>`;
const serve = (port) =>
  new Promise((resolve) => {
    const server = http.createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(page());
    });
    server.listen(Number(port), "127.0.0.1", () => resolve(server));
  });
const servers = [await serve(process.env.ALLOWED_PORT), await serve(process.env.OTHER_PORT)];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  // 1. The playground, offline.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await context.newPage();
  const apiHost = new URL(api).host;
  const elsewhere = [];
  tab.on("request", (r) => {
    const url = new URL(r.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.host !== apiHost) elsewhere.push(r.url());
  });
  const consoleErrors = [];
  tab.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  await tab.goto(`${api}/graphql`, { waitUntil: "load" });
  await tab.waitForSelector(".graphiql-container", { timeout: 20000 });
  check(true, "the playground's editor renders");
  const tabs = await tab.locator(".graphiql-tab").count();
  check(tabs >= 5, `a tab per example operation (${tabs})`);
  await tab.locator(".graphiql-execute-button").click();
  await tab
    .waitForFunction(
      () => document.querySelector(".result-window")?.textContent?.includes("accessToken"),
      null,
      { timeout: 20000 },
    )
    .catch(async (e) => {
      if (process.env.SHOTS) await tab.screenshot({ path: `${process.env.SHOTS}/playground-failed.png` });
      throw e;
    });
  const result = await tab.locator(".result-window").textContent();
  check(/"accessToken": "ey/.test(result ?? ""), "the Login example runs and its token appears");
  const headers = await tab.locator(".graphiql-editor-tool").allTextContents();
  check(headers.join(" ").includes("Authorization"), "the header editor starts with Authorization");
  check(elsewhere.length === 0, `no request to another host (${elsewhere.join(", ")})`);
  check(consoleErrors.length === 0, `no console errors (${consoleErrors.join(" | ")})`);
  if (process.env.SHOTS) await tab.screenshot({ path: `${process.env.SHOTS}/playground.png` });
  await context.close();

  // 2. CORS from a second origin.
  for (const [port, allowed] of [
    [process.env.ALLOWED_PORT, true],
    [process.env.OTHER_PORT, false],
  ]) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`http://127.0.0.1:${port}/`);
    const out = await p.evaluate(() => window.callApi());
    if (allowed) {
      check(out.status === 401 && /UNAUTHENTICATED/.test(out.body), `an allowed origin reaches the API (${JSON.stringify(out)})`);
    } else {
      check(out.error !== undefined, `another origin is refused by the browser (${JSON.stringify(out)})`);
    }
    await ctx.close();
  }

  // 3. The reference portal.
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    const apiHost = new URL(api).host;
    const elsewhere = [];
    const errors = [];
    p.on("request", (r) => {
      const url = new URL(r.url());
      if (!["data:", "blob:"].includes(url.protocol) && url.host !== apiHost) elsewhere.push(r.url());
    });
    p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    p.on("pageerror", (e) => errors.push(String(e)));
    await p.goto(`${api}/`, { waitUntil: "load" });
    check(new URL(p.url()).pathname === "/portal/", `the root redirects to the portal (${p.url()})`);
    await p.getByLabel("Login").fill("main");
    await p.getByLabel("Password").fill("demo-pass");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForSelector("#recent li", { timeout: 20000 });
    const recent = await p.locator("#recent li").count();
    check(recent === 5, `the dashboard lists the 5 recently linked sub-accounts (${recent})`);
    if (process.env.SHOTS) await p.screenshot({ path: `${process.env.SHOTS}/portal-dashboard.png` });

    await p.getByRole("link", { name: "All sub-accounts" }).click();
    await p.waitForSelector("#sub-accounts tbody tr");
    const all = await p.locator("#sub-accounts tbody tr").count();
    await p.locator("select[name=status]").selectOption("BLOCKED");
    await p.getByRole("button", { name: "Apply" }).click();
    await p.waitForFunction(() => location.hash.includes("status=BLOCKED"));
    await p.waitForFunction(() => [...document.querySelectorAll("#sub-accounts tbody tr")].length > 0 &&
      [...document.querySelectorAll("#sub-accounts tbody tr .status")].every((s) => s.textContent === "Blocked"));
    const blocked = await p.locator("#sub-accounts tbody tr").count();
    check(blocked > 0 && blocked < all, `the status filter shows only blocked rows (${blocked} of ${all})`);
    if (process.env.SHOTS) await p.screenshot({ path: `${process.env.SHOTS}/portal-sub-accounts.png` });

    await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
    await p.getByRole("link", { name: "Northwind Branch Mitte" }).click();
    await p.waitForSelector("#services tbody tr");
    const row = p.locator("#services tbody tr", { has: p.getByRole("button", { name: /^Pause / }) }).first();
    const service = await row.getAttribute("data-service");
    await row.getByRole("button", { name: /^Pause / }).click();
    const cell = p.locator(`#services tr[data-service="${service}"] .service-status`);
    await cell.filter({ hasText: "Paused" }).waitFor({ timeout: 10000 });
    check(true, "a service is paused and shows it");
    await p.locator(`#services tr[data-service="${service}"]`).getByRole("button", { name: /^Resume / }).click();
    await cell.filter({ hasText: "Active" }).waitFor({ timeout: 10000 });
    check(true, "and resumed");
    if (process.env.SHOTS) await p.screenshot({ path: `${process.env.SHOTS}/portal-sub-account.png` });

    // Its documents open as PDFs; a ticket is opened for it.
    const pdf = await p.locator("#documents a").first().getAttribute("href");
    const opened = await p.request.get(`${api}${pdf}`);
    check(opened.status() === 200 && opened.headers()["content-type"] === "application/pdf", `a document opens as a PDF (${opened.status()})`);
    const before = await p.locator("#tickets li").count();
    await p.getByLabel("Subject").fill("Line drops every evening");
    await p.getByLabel("Message").fill("Since Monday, around 8 pm.");
    await p.getByRole("button", { name: "Open ticket" }).click();
    await p.locator("#tickets li", { hasText: "Line drops every evening" }).waitFor({ timeout: 10000 });
    check((await p.locator("#tickets li").count()) === before + 1, "a ticket is opened for the sub-account");
    // Its conversation: a reply, then closed.
    await p.getByRole("link", { name: "Line drops every evening" }).click();
    await p.locator("#messages li", { hasText: "Since Monday, around 8 pm." }).waitFor({ timeout: 10000 });
    await p.getByLabel("Reply").fill("It happened again tonight.");
    await p.getByRole("button", { name: "Send" }).click();
    await p.locator("#messages li", { hasText: "It happened again tonight." }).waitFor({ timeout: 10000 });
    await p.getByRole("button", { name: "Close ticket" }).click();
    await p.locator("#ticket-status", { hasText: "Resolved" }).waitFor({ timeout: 10000 });
    check((await p.locator("#reply").count()) === 0, "a ticket's conversation takes a reply, then it is closed");

    // Manage orders: the demo's waiting order, approved by paying from the balance, then
    // listed with its invoice.
    await p.getByRole("link", { name: "Manage orders" }).click();
    const approve = p.getByRole("button", { name: /^Approve / }).first();
    await approve.waitFor({ timeout: 10000 });
    const number = (await approve.textContent()).split(" ")[1];
    await approve.click();
    const approved = p.locator(`#orders tr[data-order="${number}"]`);
    await approved.locator(".order-status", { hasText: "Paid" }).waitFor({ timeout: 10000 });
    const invoice = (await approved.locator(".order-invoice").textContent()) ?? "";
    check(/^INV-/.test(invoice), `the approved order ${number} is paid with its invoice (${invoice})`);
    if (process.env.SHOTS) await p.screenshot({ path: `${process.env.SHOTS}/portal-orders.png` });

    // The main orders for the sub-account, pays from its balance, and finds the order under
    // Manage orders with its invoice's PDF.
    await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
    await p.getByRole("link", { name: "Northwind Branch Mitte" }).click();
    const fiber = await p.locator("select[name=tariff] option", { hasText: "Fiber 500" }).getAttribute("value");
    await p.getByLabel("Service to order").selectOption(fiber);
    await p.getByRole("button", { name: "Order and pay from balance" }).click();
    await p.locator("#placed", { hasText: ": Paid" }).waitFor({ timeout: 10000 });
    const placed = ((await p.locator("#placed").textContent()) ?? "").split(" ")[1].replace(":", "");
    await p.goto(`${api}/portal/#/orders?all=1`);
    const link = p.locator(`#orders tr[data-order="${placed}"] .order-invoice a`);
    await link.waitFor({ timeout: 10000 });
    const invoicePdf = await p.request.get(`${api}${await link.getAttribute("href")}`);
    check(invoicePdf.headers()["content-type"] === "application/pdf", `the main's order ${placed} for the sub-account is under Manage orders with its invoice's PDF`);

    // A sub-account orders in its own portal (a second browser); the main's bell rings live
    // and it approves by paying.
    const bell = async () => Number(await p.locator("#unread").textContent());
    const rang = await bell();
    const subCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const sub = await subCtx.newPage();
    sub.on("console", (m) => m.type() === "error" && errors.push(`sub: ${m.text()}`));
    await sub.goto(`${api}/portal/`);
    await sub.getByLabel("Login").fill("sub01");
    await sub.getByLabel("Password").fill("demo-pass");
    await sub.getByRole("button", { name: "Sign in" }).click();
    await sub.getByRole("link", { name: "My account" }).click();
    // A ticket it hides from its main.
    await sub.getByLabel("Subject").fill("Private: moving office");
    await sub.getByLabel("Message").fill("Please keep this between us.");
    await sub.getByLabel("Hide from my main account").check();
    await sub.getByRole("button", { name: "Open ticket" }).click();
    await sub.locator("#tickets li", { hasText: "Private: moving office" }).waitFor({ timeout: 10000 });
    const wanted = await sub.locator("select[name=tariff] option", { hasText: "Business Fiber 1000" }).getAttribute("value");
    await sub.getByLabel("Service to order").selectOption(wanted);
    await sub.getByRole("button", { name: "Ask my main account" }).click();
    await sub.locator("#placed", { hasText: "Awaiting main approval" }).waitFor({ timeout: 10000 });
    check(true, "a sub-account asks its main in its own portal");
    const asked = ((await sub.locator("#placed").textContent()) ?? "").split(" ")[1].replace(":", "");
    await p.waitForFunction((n) => Number(document.getElementById("unread").textContent) > n, rang, { timeout: 15000 });
    check(true, `the main's notification count rises live (${rang} → ${await bell()})`);
    await subCtx.close();
    await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
    await p.getByRole("link", { name: "Northwind Branch Mitte" }).click();
    await p.locator("#tickets").waitFor({ timeout: 10000 });
    const leaked = await p.locator("#tickets li", { hasText: "Private: moving office" }).count();
    check(leaked === 0, "a ticket the sub-account hid does not reach its main");
    await p.goto(`${api}/portal/#/orders`);
    await p.getByRole("button", { name: `Approve ${asked} (pay from balance)` }).click();
    await p.locator(`#orders tr[data-order="${asked}"] .order-status`, { hasText: "Paid" }).waitFor({ timeout: 10000 });
    check(true, `the main approves ${asked} by paying`);

    // Management off (staff flip it through the API): the list is read-only.
    const gql = async (query, variables, token) => {
      const r = await fetch(`${api}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await r.json()).data;
    };
    const staff = (await gql('mutation { login(input: {login: "staff", password: "staff-demo-pass"}) { accessToken } }')).login.accessToken;
    const mainId = (await gql('{ accounts(filter: {search: "Northwind Holdings"}) { nodes { id } } }', {}, staff)).accounts.nodes[0].id;
    const flip = (enabled) =>
      gql("mutation($a: ID!, $e: Boolean!) { setSubAccountManagement(input: {accountId: $a, enabled: $e}) { account { id } } }", { a: mainId, e: enabled }, staff);
    await flip(false);
    await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
    await p.locator("#read-only").waitFor({ timeout: 10000 });
    const links = await p.locator("#sub-accounts tbody a").count();
    check(links === 0, `management off: the list is read-only, no details offered (${links} links)`);
    await flip(true);

    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(`${api}/portal/#/sub-accounts`);
    await p.waitForSelector("#sub-accounts tbody tr");
    const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!wide, "the table fits a phone-sized screen");
    if (process.env.SHOTS) await p.screenshot({ path: `${process.env.SHOTS}/portal-phone.png` });
    // Signing out ends the session: the sign-in form is back, and so it stays on reload.
    await p.getByRole("button", { name: "Sign out" }).click();
    await p.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10000 });
    await p.reload();
    await p.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10000 });
    check(true, "signing out returns to the sign-in form");
    check(elsewhere.length === 0, `the portal asks no other host (${elsewhere.join(", ")})`);
    check(errors.length === 0, `no console errors in the portal (${errors.join(" | ")})`);
    await ctx.close();
  }
} finally {
  await browser.close();
  for (const s of servers) s.close();
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("browser checks passed");
