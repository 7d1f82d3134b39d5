// Numbered pages, checked against the API's own order: with more than 100 sub-accounts the
// last page is one click away, a page reached backward from the end holds the rows the API
// puts there, a deep link to a page (descending, a fresh page load) shows that page, and a
// page past the end shows the last one (on "Manage orders" and the invoices too).

import { gql } from "./api.mjs";

const SIZE = 20;

/** Every sub-account name of `main` in the API's order (staff, 100 at a time). */
async function namesInOrder(api, staff, mainId, direction) {
  const names = [];
  let after = null;
  for (;;) {
    const { node } = await gql(
      api,
      staff,
      `query($id: ID!, $after: String, $dir: SortDirection!) { node(id: $id) { ... on Account {
        subAccounts(first: 100, after: $after, orderBy: {field: FULL_NAME, direction: $dir}) {
          nodes { fullName } pageInfo { hasNextPage endCursor } } } } }`,
      { id: mainId, after, dir: direction },
    );
    names.push(...node.subAccounts.nodes.map((a) => a.fullName));
    if (!node.subAccounts.pageInfo.hasNextPage) return names;
    after = node.subAccounts.pageInfo.endCursor;
  }
}

const rows = (p) => p.locator("#sub-accounts tbody tr td:first-child").allTextContents();

async function shows(p, n) {
  await p.locator(`.pager a[aria-current="page"]`, { hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: 20000 });
  return rows(p);
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x.trim() === b[i]);

export async function pageChecks(p, api, staff, mainId, check) {
  const names = await namesInOrder(api, staff, mainId, "ASC");
  const last = Math.ceil(names.length / SIZE);
  check(last > 5, `enough sub-accounts for page numbers (${names.length})`);

  await p.goto(`${api}/portal/#/sub-accounts`);
  const first = await shows(p, 1);
  check(same(first, names.slice(0, SIZE)), "page 1 holds the first 20 in the API's order");
  // The last page: one click, whatever the count.
  await p.locator(".pager").getByRole("link", { name: `Page ${last}`, exact: true }).click();
  const end = await shows(p, last);
  check(same(end, names.slice((last - 1) * SIZE)), `the last page (${last}) holds the last rows (${end.length}: ${end.at(-1)})`);
  check(new URL(p.url()).hash.includes(`page=${last}`), `the address names the page (${new URL(p.url()).hash})`);
  // Backward from the end: two pages before the last.
  await p.locator(".pager").getByRole("link", { name: `Page ${last - 2}`, exact: true }).click();
  const back = await shows(p, last - 2);
  check(same(back, names.slice((last - 3) * SIZE, (last - 2) * SIZE)), `page ${last - 2} holds its rows (${back[0]})`);
  await p.getByRole("link", { name: "Previous page" }).click();
  const previous = await shows(p, last - 3);
  check(same(previous, names.slice((last - 4) * SIZE, (last - 3) * SIZE)), `"Previous page" goes to page ${last - 3}`);

  // A deep link to page 3 of the descending list, on a fresh load of the portal.
  const descending = await namesInOrder(api, staff, mainId, "DESC");
  await p.goto(`${api}/portal/#/sub-accounts?sort=FULL_NAME&dir=DESC&page=3`);
  await p.reload();
  const third = await shows(p, 3);
  check(same(third, descending.slice(2 * SIZE, 3 * SIZE)), `a deep link to page 3 (descending) shows it (${third[0]})`);
  // Past the end: the last page, marked as such.
  await p.goto(`${api}/portal/#/sub-accounts?page=999`);
  const past = await shows(p, last);
  check(same(past, names.slice((last - 1) * SIZE)), "a page past the end shows the last page");

  // "Manage orders" past its end: the last page, found by asking for cursors.
  const { node } = await gql(api, staff, "query($id: ID!) { node(id: $id) { ... on Account { subAccountOrders { totalCount } } } }", { id: mainId });
  const orders = node.subAccountOrders.totalCount;
  await p.goto(`${api}/portal/#/orders?all=1&page=99`);
  await p.locator("#main h1", { hasText: "Manage orders" }).waitFor({ timeout: 20000 });
  const shown = await p.locator("#orders tbody tr").count();
  const lastOrders = Math.max(1, Math.ceil(orders / SIZE));
  check(orders > 0 && shown === orders - (lastOrders - 1) * SIZE, `"Manage orders" past its end shows its last page (${shown} of ${orders})`);

  // The invoices past their end: the last page.
  const billed = (await gql(api, staff, "query($id: ID!) { node(id: $id) { ... on Account { invoices { totalCount } } } }", { id: mainId })).node.invoices.totalCount;
  await p.goto(`${api}/portal/#/invoices?page=99`);
  await p.locator("#main h1", { hasText: "Invoices" }).waitFor({ timeout: 20000 });
  const listed = await p.locator("#invoices tbody tr").count();
  const lastInvoices = Math.max(1, Math.ceil(billed / SIZE));
  check(billed > 0 && listed === billed - (lastInvoices - 1) * SIZE, `the invoices past their end show their last page (${listed} of ${billed})`);
}
