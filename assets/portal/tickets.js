// A ticket's conversation: its messages, a reply, closing it.

import { call } from "./api.js";
import { date, h, perform, status } from "./ui.js";
import { t } from "./i18n.js";

export async function ticketPage(id, show) {
  const ticket = (await call("Ticket", { id })).node;
  const open = ticket.status !== "RESOLVED" && ticket.account.capabilities.manageTickets;
  const again = () => ticketPage(id, show);
  const reply = open
    ? h(
        "form",
        {
          class: "filters",
          id: "reply",
          onsubmit: (event) => {
            event.preventDefault();
            perform("ReplyToTicket", { ticketId: id, message: new FormData(event.target).get("message") }, again);
          },
        },
        h("label", {}, t("Reply"), h("textarea", { name: "message", required: true, rows: 2 })),
        h("button", { type: "submit" }, t("Send")),
        h("button", { type: "button", onclick: () => perform("CloseTicket", { ticketId: id }, again) }, t("Close ticket")),
      )
    : null;
  show(
    h("p", {}, h("a", { href: `#/accounts/${ticket.account.id}` }, `← ${ticket.account.fullName}`)),
    h("h1", {}, ticket.subject, " ", h("span", { id: "ticket-status" }, status(ticket.status))),
    ticket.hiddenFromMain ? h("p", {}, t("Hidden from the main account.")) : null,
    h(
      "ol",
      { id: "messages" },
      ticket.messages.nodes.map((m) => h("li", {}, h("strong", {}, m.fromStaff ? `${m.authorName} (ISP)` : m.authorName), ` ${date(m.createdAt)}: `, m.body)),
    ),
    reply,
  );
}
