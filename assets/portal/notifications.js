// The notifications panel: newest first, each opening what it is about, marked read one by
// one or all at once; the bell's count follows (and rises live: api.js).

import { call, setUnread, who } from "./api.js";
import { dateTime, go, h, label, perform } from "./ui.js";
import { t } from "./i18n.js";

/** Where a notification leads: its ticket, the orders, or the account of its service. */
function target(n, me) {
  if (n.ticket) return `#/tickets/${n.ticket.id}`;
  if (n.order) return me && !me.subAccountType ? "#/orders?all=1" : me ? `#/accounts/${me.id}` : "#/";
  if (n.service) return `#/accounts/${n.service.account.id}`;
  return null;
}

export async function notificationsPage(params, show) {
  // Who is signed in is known since the navigation was drawn (no second request for it).
  const { viewer } = await call("Notifications", { first: 20, after: params.get("after") || null });
  const me = who.account;
  setUnread(viewer.unreadNotificationCount);
  const page = viewer.notifications;
  const again = () => go(`#/notifications${params.size ? `?${params}` : ""}`);
  const read = (ids, button) =>
    perform("MarkNotificationsRead", ids ? { ids } : { all: true }, (out) => {
      setUnread(out.unreadNotificationCount);
      return again();
    }, () => {}, button);
  const items = page.nodes.map((n) => {
    const href = target(n, me);
    const open = () => (n.readAt ? go(href) : perform("MarkNotificationsRead", { ids: [n.id] }, (out) => {
      setUnread(out.unreadNotificationCount);
      go(href);
    }));
    const mark = h("button", { type: "button", onclick: () => read([n.id], mark) }, t("Mark read"));
    return h(
      "li",
      { class: n.readAt ? "read" : "unread", "data-notification": n.id },
      h("span", { class: "kind" }, label(n.kind)),
      " ",
      href ? h("a", { href, onclick: (e) => { e.preventDefault(); open(); } }, n.message) : h("span", {}, n.message),
      " ",
      h("time", { datetime: n.createdAt }, dateTime(n.createdAt)),
      n.readAt ? null : [" ", mark],
    );
  });
  const next = new URLSearchParams(params);
  next.set("after", page.pageInfo.endCursor || "");
  const all = h("button", { type: "button", id: "read-all", onclick: () => read(null, all) }, t("Mark all read"));
  show(
    h("h1", {}, t("Notifications")),
    viewer.unreadNotificationCount ? h("p", {}, all) : null,
    items.length ? h("ul", { id: "notifications" }, items) : h("p", {}, t("No notifications.")),
    page.pageInfo.hasNextPage ? h("p", {}, h("a", { href: `#/notifications?${next}` }, t("Older notifications"))) : null,
  );
}
