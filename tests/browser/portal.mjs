// The reference portal (/portal/) in headless Chromium against demo data, as its users
// would use it:
// - the main account: dashboard, the sub-accounts table filtered by status, an aggregated
//   sub-account's page (pause and resume, change a tariff, usage chart by day and by month,
//   voice totals, activity, a document's PDF, a ticket opened, answered and closed);
//   "Manage orders" (the demo's waiting order approved by paying); a cart of several
//   services for the sub-account, priced by the server, a declined test card, then paid;
//   another order for it paid from the balance; both under Manage orders with their
//   invoices' PDFs, the first on the invoices page;
// - the sub-account in a second browser: a ticket hidden from its main, two orders asking
//   its main; the main's bell rises live, the hidden ticket is absent, it approves one order
//   and rejects the other;
// - a spent access token is refreshed silently; management off leaves the list read-only;
//   the phone layout; signing out;
// - no request to another host and no console error on any screen;
// - all of it with PORTAL_TRUSTED_DOCUMENTS=require (run.sh): the portal sends only trusted
//   documents.
// SHOTS=dir keeps screenshots (the README's).

const shot = async (page, name) => {
  if (process.env.SHOTS) await page.screenshot({ path: `${process.env.SHOTS}/${name}.png`, fullPage: name !== "portal-phone" });
};

/** A new signed-in browser context; requests elsewhere and console errors are collected. */
export async function signedIn(browser, api, login, watch, keyboard = false) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await ctx.newPage();
  const apiHost = new URL(api).host;
  p.on("request", (r) => {
    const url = new URL(r.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.host !== apiHost) watch.elsewhere.push(r.url());
  });
  p.on("console", (m) => m.type() === "error" && watch.errors.push(`${login}: ${m.text()}`));
  p.on("pageerror", (e) => watch.errors.push(`${login}: ${e}`));
  await p.goto(`${api}/`, { waitUntil: "load" });
  if (keyboard) {
    // By keyboard alone: the form starts focused on Login, Tab to Password, Enter.
    await p.getByLabel("Login").waitFor();
    await p.keyboard.type(login);
    await p.keyboard.press("Tab");
    await p.keyboard.type("demo-pass");
    await p.keyboard.press("Enter");
  } else {
    await p.getByLabel("Login").fill(login);
    await p.getByLabel("Password").fill("demo-pass");
    await p.getByRole("button", { name: "Sign in" }).click();
  }
  await p.locator("#main h1", { hasText: "Welcome" }).waitFor({ timeout: 20000 });
  return { ctx, p };
}

const openMitte = async (p, api) => {
  await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
  await p.getByRole("link", { name: "Northwind Branch Mitte", exact: true }).click();
  await p.waitForSelector("#services tbody tr");
};

export async function portalChecks(browser, api, check) {
  const watch = { elsewhere: [], errors: [] };
  const { ctx, p } = await signedIn(browser, api, "main", watch);
  check(new URL(p.url()).pathname === "/portal/", `the root redirects to the portal (${p.url()})`);
  await p.waitForSelector("#recent li", { timeout: 20000 });
  const recent = await p.locator("#recent li").count();
  check(recent === 5, `the dashboard lists the 5 recently linked sub-accounts (${recent})`);
  await shot(p, "portal-dashboard");

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
  await shot(p, "portal-sub-accounts");

  await accountScreens(p, api, check);
  await approveWaiting(p, check);
  await cart(p, api, check);
  await subAccountAsks(browser, api, p, check, watch);
  await silentRefresh(p, api, check, watch);
  await managementOff(p, api, check);

  await p.setViewportSize({ width: 390, height: 844 });
  const wide = () => p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  for (const [screen, ready] of [["#/order", "#catalogue"], ["#/invoices", "#invoices"], ["#/orders?all=1", "#orders"]]) {
    await p.goto(`${api}/portal/${screen}`);
    await p.locator(ready).waitFor({ timeout: 10000 });
    check(!(await wide()), `${screen} fits a phone-sized screen`);
  }
  await openMitte(p, api);
  const overflowing = await p.evaluate(() =>
    [...document.querySelectorAll("#main *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 3).map((e) => `${e.tagName}#${e.id}.${e.className}`),
  );
  check(!(await wide()), `an account's page fits a phone-sized screen (${overflowing.join(", ")})`);
  await p.goto(`${api}/portal/#/sub-accounts`);
  await p.waitForSelector("#sub-accounts tbody tr");
  check(!(await wide()), "the table fits a phone-sized screen");
  await shot(p, "portal-phone");
  // Signing out ends the session: the sign-in form is back, and so it stays on reload.
  await p.getByRole("button", { name: "Sign out" }).click();
  await p.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10000 });
  await p.reload();
  await p.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10000 });
  check(true, "signing out returns to the sign-in form");
  check(watch.elsewhere.length === 0, `the portal asks no other host (${watch.elsewhere.join(", ")})`);
  check(watch.errors.length === 0, `no console errors in the portal (${watch.errors.join(" | ")})`);
  await ctx.close();
}

/** An aggregated sub-account's page, everything on it. */
async function accountScreens(p, api, check) {
  await openMitte(p, api);
  const row = p.locator("#services tbody tr", { has: p.getByRole("button", { name: /^Pause / }) }).first();
  const service = await row.getAttribute("data-service");
  await row.getByRole("button", { name: /^Pause / }).click();
  const cell = p.locator(`#services tr[data-service="${service}"] .service-status`);
  await cell.filter({ hasText: "Paused" }).waitFor({ timeout: 10000 });
  check(true, "a service is paused and shows it");
  await p.locator(`#services tr[data-service="${service}"]`).getByRole("button", { name: /^Resume / }).click();
  await cell.filter({ hasText: "Active" }).waitFor({ timeout: 10000 });
  check(true, "and resumed");

  // Usage: a bar a day for the last month, then a bar a month; the voice totals.
  await p.locator("#usage .chart rect").first().waitFor({ timeout: 10000 });
  const days = await p.locator("#usage .chart rect").count();
  const totals = (await p.locator("#internet-totals").textContent()) ?? "";
  await p.getByLabel("Show usage", { exact: true }).selectOption("MONTH");
  await p.waitForFunction((n) => document.querySelectorAll("#usage .chart rect").length !== n, days, { timeout: 10000 });
  const months = await p.locator("#usage .chart rect").count();
  check(days === 30 && months === 12 && /Downloaded/.test(totals), `Internet usage charted by day (${days} bars) and by month (${months})`);
  const voice = (await p.locator("#voice-totals").textContent()) ?? "";
  check(/\d+ calls/.test(voice), `voice totals shown (${voice})`);
  await p.getByLabel("Show usage", { exact: true }).selectOption("DAY");
  await shot(p, "portal-sub-account");

  // Changing a tariff: Fiber 100 allows self-change, so it switches at once.
  const fiber = p.locator("#services tbody tr", { has: p.getByLabel("New tariff for Fiber 100", { exact: true }) });
  const changed = await fiber.getAttribute("data-service");
  await fiber.getByLabel("New tariff for Fiber 100").selectOption({ label: "Fiber 500" });
  await fiber.getByRole("button", { name: "Change now" }).click();
  await p.locator(`#services tr[data-service="${changed}"] td`, { hasText: /^Fiber 500$/ }).waitFor({ timeout: 10000 });
  check(true, "a service changes tariff at once (self-change)");
  // Business Fiber 1000 does not: the change waits for the ISP.
  const business = p.locator("#services tbody tr", { has: p.getByLabel("New tariff for Business Fiber 1000", { exact: true }) });
  const requested = await business.getAttribute("data-service");
  await business.getByRole("button", { name: "Request change" }).click();
  await p.locator(`#services tr[data-service="${requested}"] .pending-change`).waitFor({ timeout: 10000 });
  check(true, "a change is requested where self-change is not allowed");
  const activity = await p.locator("#activity tbody tr").allTextContents();
  check(["Service paused", "Service resumed", "Service changed"].every((a) => activity.some((r) => r.includes(a))), "the activity lists the pause, the resume and the change");

  // Its documents open as PDFs; a ticket is opened for it, answered and closed.
  const pdf = await p.locator("#documents a").first().getAttribute("href");
  const opened = await p.request.get(`${api}${pdf}`);
  check(opened.status() === 200 && opened.headers()["content-type"] === "application/pdf", `a document opens as a PDF (${opened.status()})`);
  const before = await p.locator("#tickets li").count();
  await p.getByLabel("Subject").fill("Line drops every evening");
  await p.getByLabel("Message").fill("Since Monday, around 8 pm.");
  await p.getByRole("button", { name: "Open ticket" }).click();
  await p.locator("#tickets li", { hasText: "Line drops every evening" }).waitFor({ timeout: 10000 });
  check((await p.locator("#tickets li").count()) === before + 1, "a ticket is opened for the sub-account");
  await p.getByRole("link", { name: "Line drops every evening" }).click();
  await p.locator("#messages li", { hasText: "Since Monday, around 8 pm." }).waitFor({ timeout: 10000 });
  await p.getByLabel("Reply").fill("It happened again tonight.");
  await p.getByRole("button", { name: "Send" }).click();
  await p.locator("#messages li", { hasText: "It happened again tonight." }).waitFor({ timeout: 10000 });
  await p.getByRole("button", { name: "Close ticket" }).click();
  await p.locator("#ticket-status", { hasText: "Resolved" }).waitFor({ timeout: 10000 });
  check((await p.locator("#reply").count()) === 0, "a ticket's conversation takes a reply, then it is closed");
}

/** Manage orders: the demo's waiting order, approved by paying, listed with its invoice. */
async function approveWaiting(p, check) {
  await p.getByRole("link", { name: "Manage orders" }).click();
  const approve = p.getByRole("button", { name: /^Approve / }).first();
  await approve.waitFor({ timeout: 10000 });
  const number = (await approve.textContent()).split(" ")[1];
  await approve.click();
  const approved = p.locator(`#orders tr[data-order="${number}"]`);
  await approved.locator(".order-status", { hasText: "Paid" }).waitFor({ timeout: 10000 });
  const invoice = (await approved.locator(".order-invoice").textContent()) ?? "";
  check(/^INV-/.test(invoice), `the approved order ${number} is paid with its invoice (${invoice})`);
  await shot(p, "portal-orders");
}

/** A cart of several services for the sub-account, a declined card, then paid. */
async function cart(p, api, check) {
  await p.getByRole("link", { name: "Order services", exact: true }).click();
  await p.locator("#ordering-for").waitFor({ timeout: 10000 });
  await p.getByLabel("Order for").selectOption({ label: "Northwind Branch Mitte" });
  // The screen is drawn anew for the chosen account.
  await p.locator("#ordering-for", { hasText: "Northwind Branch Mitte" }).waitFor({ timeout: 10000 });
  await p.getByLabel("Quantity of Fiber 500").fill("2");
  await p.getByRole("button", { name: "Add Fiber 500" }).click();
  await p.getByRole("button", { name: "Remove Fiber 500" }).waitFor({ timeout: 10000 });
  await p.getByRole("button", { name: "Add Static IP" }).click();
  await p.getByRole("button", { name: "Remove Static IP" }).waitFor({ timeout: 10000 });
  await p.getByRole("button", { name: "Add Installation" }).click();
  await p.getByRole("button", { name: "Remove Installation" }).click();
  await p.getByRole("button", { name: "Remove Installation" }).waitFor({ state: "detached", timeout: 10000 });
  const lines = await p.locator("#cart tbody tr").count();
  // 2 × 49.90 and 5.00, each + 19% per unit: 104.80 + 19.91 = 124.71 (formatted for the locale).
  const total = (await p.locator("#cart-total").textContent()) ?? "";
  check(lines === 2 && /124[.,]71/.test(total), `the cart holds two lines priced by the server (${total})`);
  await shot(p, "portal-cart");
  await p.getByLabel("By card (test gateway)").check();
  await p.getByLabel("Test card").selectOption("tok_declined");
  await p.getByRole("button", { name: "Place order and pay" }).click();
  await p.locator("#error", { hasText: /declined/i }).waitFor({ timeout: 10000 });
  check((await p.locator("#cart tbody tr").count()) === 2, "a declined card is shown and the cart is kept");
  await p.getByLabel("By card (test gateway)").check();
  await p.getByLabel("Test card").selectOption("tok_ok");
  await p.getByRole("button", { name: "Place order and pay" }).click();
  await p.locator("#placed", { hasText: ": Paid" }).waitFor({ timeout: 10000 });
  const placed = ((await p.locator("#placed").textContent()) ?? "").split(" ")[1].replace(":", "");
  check((await p.locator("#cart-empty").count()) === 1, `the cart is paid by the test gateway (${placed}) and emptied`);
  // Another order for it, paid from the main's balance.
  await p.getByRole("button", { name: "Add Static IP" }).click();
  await p.getByLabel(/^From the balance/).check();
  await p.getByRole("button", { name: "Place order and pay" }).click();
  await p.locator("#placed", { hasText: ": Paid" }).waitFor({ timeout: 10000 });
  const byBalance = ((await p.locator("#placed").textContent()) ?? "").split(" ")[1].replace(":", "");
  check(byBalance !== placed, `an order for the sub-account is paid from the balance (${byBalance})`);

  // Both under Manage orders with their invoices' PDFs; the first on the invoices page.
  await p.goto(`${api}/portal/#/orders?all=1`);
  let invoice = "";
  for (const number of [placed, byBalance]) {
    const link = p.locator(`#orders tr[data-order="${number}"] .order-invoice a`);
    await link.waitFor({ timeout: 10000 });
    if (number === placed) invoice = (await link.textContent()) ?? "";
    const invoicePdf = await p.request.get(`${api}${await link.getAttribute("href")}`);
    check(invoicePdf.headers()["content-type"] === "application/pdf", `the order ${number} is under Manage orders with its invoice's PDF`);
  }
  await p.getByRole("link", { name: "Invoices", exact: true }).click();
  const row = p.locator(`#invoices tr[data-invoice="${invoice}"]`);
  await row.waitFor({ timeout: 10000 });
  await row.getByText(/lines$/).click();
  const lineText = (await row.locator("details li").allTextContents()).join(" | ");
  const pdf = await p.request.get(`${api}${await row.getByRole("link", { name: invoice }).getAttribute("href")}`);
  check(pdf.headers()["content-type"] === "application/pdf" && lineText.includes("Northwind Branch Mitte"), `the invoices page lists ${invoice} with its PDF and its lines by sub-account (${lineText})`);
  await shot(p, "portal-invoices");
}

/** The sub-account in its own browser asks twice; the main is told live, approves, rejects. */
async function subAccountAsks(browser, api, p, check, watch) {
  const bell = async () => Number(await p.locator("#unread").textContent());
  const rang = await bell();
  const { ctx: subCtx, p: sub } = await signedIn(browser, api, "sub01", watch, true);
  check(true, "the sub-account signs in by keyboard alone");
  // Each role's navigation offers what its capabilities allow, nothing else: an aggregated
  // sub-account has no sub-accounts, no invoices of its own and no orders to manage.
  const offered = async (page) =>
    page.evaluate(() => [...document.querySelectorAll("#nav a")].filter((a) => !a.hidden).map((a) => a.getAttribute("href")).join(" "));
  const subNav = await offered(sub);
  check(subNav === "#/ #/order", `the aggregated sub-account is offered its dashboard and ordering only (${subNav})`);
  check((await sub.locator("#card-recent, #card-invoice").count()) === 0, "its dashboard has no sub-accounts and no invoice card");
  const mainNav = await offered(p);
  check(mainNav === "#/ #/sub-accounts #/order #/orders #/invoices", `the main account is offered every section (${mainNav})`);
  await sub.getByRole("link", { name: "My account" }).click();
  await sub.getByLabel("Subject").fill("Private: moving office");
  await sub.getByLabel("Message").fill("Please keep this between us.");
  await sub.getByLabel("Hide from my main account").check();
  await sub.getByRole("button", { name: "Open ticket" }).click();
  await sub.locator("#tickets li", { hasText: "Private: moving office" }).waitFor({ timeout: 10000 });
  const asked = [];
  // Two orders above its auto-approval threshold (40.00) and within its monthly cap.
  for (const tariff of ["Fiber 500", "Fiber 500"]) {
    await sub.getByRole("link", { name: "Order services", exact: true }).click();
    await sub.getByRole("button", { name: `Add ${tariff}` }).click();
    await sub.getByRole("button", { name: "Ask my main account" }).click();
    await sub.locator("#placed", { hasText: "Awaiting main approval" }).waitFor({ timeout: 10000 });
    asked.push(((await sub.locator("#placed").textContent()) ?? "").split(" ")[1].replace(":", ""));
  }
  check(asked.length === 2, `a sub-account asks its main in its own portal (${asked.join(", ")})`);
  await p.waitForFunction((n) => Number(document.getElementById("unread").textContent) > n, rang, { timeout: 15000 });
  check(true, `the main's notification count rises live (${rang} → ${await bell()})`);
  await subCtx.close();
  await openMitte(p, api);
  await p.locator("#tickets").waitFor({ timeout: 10000 });
  const leaked = await p.locator("#tickets li", { hasText: "Private: moving office" }).count();
  check(leaked === 0, "a ticket the sub-account hid does not reach its main");
  await p.goto(`${api}/portal/#/orders`);
  await p.getByRole("button", { name: `Approve ${asked[0]} (pay)` }).click();
  await p.locator(`#orders tr[data-order="${asked[0]}"] .order-status`, { hasText: "Paid" }).waitFor({ timeout: 10000 });
  check(true, `the main approves ${asked[0]} by paying`);
  await p.getByRole("button", { name: `Reject ${asked[1]}` }).click();
  await p.locator(`#orders tr[data-order="${asked[1]}"] .order-status`, { hasText: "Rejected" }).waitFor({ timeout: 10000 });
  check(true, `and rejects ${asked[1]}`);
}

/**
 * A spent access token: the next screen refreshes the session without asking anyone. The
 * order screen sends two requests at once: they share one refresh (a refresh token is
 * used once), and the session lives on.
 */
async function silentRefresh(p, api, check, watch) {
  const before = watch.errors.length;
  await p.evaluate(() => sessionStorage.setItem("accessToken", "spent"));
  await p.goto(`${api}/portal/#/order`);
  await p.locator("#catalogue").waitFor({ timeout: 10000 });
  const token = await p.evaluate(() => sessionStorage.getItem("accessToken"));
  await p.goto(`${api}/portal/#/invoices`);
  await p.locator("#invoices").waitFor({ timeout: 10000 });
  const after = await p.evaluate(() => sessionStorage.getItem("accessToken"));
  check(token !== "spent" && after === token && (await p.getByRole("button", { name: "Sign in" }).count()) === 0, "a spent access token is refreshed silently, once for two requests");
  // Chromium logs the refused requests (401) itself; nothing else may be logged meanwhile.
  const logged = watch.errors.splice(before);
  check(logged.every((e) => /status of 401/.test(e)), `only the refused requests are logged (${logged.join(" | ")})`);
}

/** Management off (staff flip it through the API, with the admin token run.sh made): the
 * list is read-only. */
async function managementOff(p, api, check) {
  const gql = async (query, variables, token) => {
    const r = await fetch(`${api}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await r.json()).data;
  };
  const staff = process.env.STAFF_TOKEN;
  const mainId = (await gql('{ accounts(filter: {search: "Northwind Holdings"}) { nodes { id } } }', {}, staff)).accounts.nodes[0].id;
  const flip = (enabled) =>
    gql("mutation($a: ID!, $e: Boolean!) { setSubAccountManagement(input: {accountId: $a, enabled: $e}) { account { id } } }", { a: mainId, e: enabled }, staff);
  await flip(false);
  await p.goto(`${api}/portal/#/sub-accounts?q=Mitte`);
  await p.locator("#read-only").waitFor({ timeout: 10000 });
  const links = await p.locator("#sub-accounts tbody a").count();
  check(links === 0, `management off: the list is read-only, no details offered (${links} links)`);
  await flip(true);
}
