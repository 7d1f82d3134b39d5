// Browser checks in headless Chromium (Debian's `chromium`), driven by playwright-core:
//
// 1. The playground works with no outside network: the editor renders, the first example
//    tab (Login, with the demo logins) runs, its result appears, and the page asks no other
//    host for anything.
// 2. CORS: a page on an allowed second origin calls the API (preflight included, because it
//    sends `Authorization`); a page on an origin outside the allowlist cannot.
// 3. The reference portal (/portal/, the root redirects there): see portal.mjs.
//
// Environment: API (http://IP:PORT of portal-api, demo data seeded), STAFF_TOKEN (an admin
// access token), ALLOWED_PORT and
// OTHER_PORT (where this script serves the two origins' pages), SHOTS (folder for
// screenshots, optional), CHROMIUM (default /usr/bin/chromium).
import http from "node:http";
import { chromium } from "playwright-core";
import { defectChecks, stopRestarted } from "./defects.mjs";
import { portalChecks } from "./portal.mjs";

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
  await portalChecks(browser, api, check);
  // 4. The defects a business customer met, each as it met it.
  await defectChecks(browser, api, check);
} finally {
  await browser.close();
  for (const s of servers) s.close();
}
if (failures.length) {
  stopRestarted();
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log("browser checks passed");
// The server the checks restarted is theirs to stop; nothing else keeps the process.
stopRestarted();
process.exit(0);
