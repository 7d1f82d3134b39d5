// Numbered pages over keyset cursors. The API pages by cursor, never by offset
// (CONVENTIONS.md): page k starts after the cursor of row (k-1)·size − 1. The portal keeps
// the cursors of the rows it has seen, per list (its filter and order); a page not reached
// yet is found by asking for cursors only, up to 100 a request, forward from the nearest
// row it knows or backward from the nearest one after it (the end of the list included).

import { h } from "./ui.js";
import { t } from "./i18n.js";

export const PAGE_SIZE = 20;
const HOP = 100;

/** Per list: how many rows it had when last seen, and the cursors by row index. */
const lists = new Map();

/** Forgets every list's cursors (signed out: the next visitor's lists are others). */
export const forgetPages = () => lists.clear();

function list(key, total) {
  let known = lists.get(key);
  // Rows came or went since: the indexes known are no longer where they were.
  if (!known || (total !== undefined && known.total !== undefined && known.total !== total)) {
    known = { total, cursors: new Map() };
    lists.set(key, known);
  }
  if (total !== undefined) known.total = total;
  return known;
}

/** The page asked for in the address (1 when absent or not a number). */
const pageOf = (params) => Math.max(1, Math.floor(Number(params.get("page"))) || 1);

/**
 * Loads the page the address asks for (`page=`, the last one when past the end): `hop(args)`
 * answers the list's `{ totalCount edges { cursor } }` for `{first, after}` or
 * `{last, before}`, `load(after)` the screen's data, `connectionOf(data)` the list in it.
 * Returns the data and the page links for `path`.
 */
export async function loadPage({ key, params, path, hop, load, connectionOf }) {
  const [after, page] = await startOf(key, pageOf(params), hop);
  const data = await load(after);
  const connection = connectionOf(data);
  saw(key, page, connection);
  return { data, pager: pager(page, connection.totalCount, pageLink(path, params)) };
}

/** Where page `page` starts: the cursor it comes after (null for the first page) and the
 * page that is (an earlier one when the list is shorter). */
async function startOf(key, page, hop) {
  if (page <= 1) return [null, 1];
  const known = list(key);
  const target = (page - 1) * PAGE_SIZE - 1;
  for (;;) {
    if (known.cursors.has(target)) return [known.cursors.get(target), page];
    const end = known.total;
    // A page past the end: the last page's start instead.
    if (end !== undefined && target >= end) return startOf(key, Math.ceil(end / PAGE_SIZE), hop);
    let lo = -1;
    let hi = end ?? Infinity;
    for (const i of known.cursors.keys()) {
      if (i < target && i > lo) lo = i;
      if (i > target && i < hi) hi = i;
    }
    const forward = hi === Infinity || target - lo <= hi - target;
    const want = Math.min(HOP, forward ? target - lo : hi - target);
    const args = forward
      ? { first: want, after: lo < 0 ? null : known.cursors.get(lo) }
      : { last: want, before: hi === end ? null : known.cursors.get(hi) };
    const got = await hop(args);
    const now = list(key, got.totalCount);
    if (now !== known) return startOf(key, page, hop);
    const cursors = got.edges.map((e) => e.cursor);
    // Fewer rows than the count promised: the list changed under us; start from the top.
    if (cursors.length < want) {
      lists.delete(key);
      return [null, 1];
    }
    const from = forward ? lo + 1 : hi - cursors.length;
    cursors.forEach((cursor, j) => known.cursors.set(from + j, cursor));
  }
}

/** Remembers the cursors of a page just shown (its edges and the list's count). */
function saw(key, page, connection) {
  const known = list(key, connection.totalCount);
  const from = (page - 1) * PAGE_SIZE;
  connection.edges.forEach((e, j) => known.cursors.set(from + j, e.cursor));
}

/** The address of page n of the screen at `path` (the rest of its address kept). */
const pageLink = (path, params) => (n) => {
  const at = new URLSearchParams(params);
  at.delete("after");
  if (n > 1) at.set("page", String(n));
  else at.delete("page");
  return `${path}?${at}`;
};

/**
 * Page links: Previous, the first, the last and the two either side of the current page, Next.
 * `href(n)` is the address of page n.
 */
function pager(page, total, href) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (pages === 1) return null;
  const shown = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const items = [];
  shown.forEach((n, i) => {
    if (i > 0 && n - shown[i - 1] > 1) items.push(h("li", { class: "gap", "aria-hidden": "true" }, "…"));
    items.push(
      h(
        "li",
        {},
        n === page
          ? h("a", { href: href(n), "aria-current": "page", "aria-label": t("Page {n}", { n }) }, String(n))
          : h("a", { href: href(n), "aria-label": t("Page {n}", { n }) }, String(n)),
      ),
    );
  });
  return h(
    "nav",
    { class: "pager", "aria-label": t("Pages") },
    h("ul", {}, page > 1 ? h("li", {}, h("a", { href: href(page - 1), rel: "prev" }, t("Previous page"))) : null, items, page < pages ? h("li", {}, h("a", { href: href(page + 1), rel: "next" }, t("Next page"))) : null),
  );
}
