// An account's page (a sub-account's, or the viewer's own): services (pause, resume, change
// tariff), usage, documents, tickets and activity, each offered by capabilities.

import { call } from "./api.js";
import { cell, date, dateTime, h, label, moneyCell, perform, status, table } from "./ui.js";
import { usageSection } from "./usage.js";
import { t } from "./i18n.js";

export async function accountPage(id, show) {
  const data = await call("SubAccount", { id });
  const account = data.node;
  const mine = data.viewer.account?.id === account.id;
  const can = account.capabilities;
  // Everything else depends only on the capabilities: asked for together.
  const [sections, usage] = await Promise.all([
    call("AccountSections", { id, documents: can.viewDocuments, tickets: can.manageTickets, activity: can.viewDetails }),
    usageSection(id, can),
  ]);
  const { documents, tickets, activity } = sections.node;
  const again = () => accountPage(id, show);
  show(
    h("p", {}, mine ? h("a", { href: "#/" }, t("← Dashboard")) : h("a", { href: "#/sub-accounts" }, t("← Sub-accounts"))),
    h("h1", {}, account.fullName, " ", status(account.status)),
    h("h2", {}, t("Services")),
    table("services", [t("Service"), t("Status"), t("Price"), t("Actions")], account.services.nodes.map((s) => serviceRow(s, can, again))),
    can.order ? h("p", {}, h("a", { href: `#/order?account=${encodeURIComponent(id)}`, id: "order-link" }, t("Order services for {name}", { name: account.fullName }))) : null,
    usage,
    documents ? documentList(documents.nodes) : null,
    tickets ? ticketList(id, tickets.nodes, can, again) : null,
    activity ? activityList(activity.nodes) : null,
  );
}

function serviceRow(s, can, again) {
  const name = s.tariff.name;
  return h(
    "tr",
    { "data-service": s.id },
    cell(t("Service"), name),
    h("td", { "data-label": t("Status"), class: "service-status" }, status(s.status)),
    moneyCell(t("Price"), s.price),
    cell(
      t("Actions"),
      can.pauseServices && s.status === "ACTIVE" ? h("button", { type: "button", onclick: () => perform("PauseService", { serviceId: s.id }, again) }, t("Pause {name}", { name })) : null,
      can.pauseServices && s.status === "PAUSED" ? h("button", { type: "button", onclick: () => perform("ResumeService", { serviceId: s.id }, again) }, t("Resume {name}", { name })) : null,
      s.pendingChange ? h("span", { class: "pending-change" }, " " + t("Change to {name} requested", { name: s.pendingChange.toTariff.name })) : null,
      s.changeOptions.length ? changeForm(s, again) : null,
    ),
  );
}

/** Changing a service's tariff: at once when its tariff allows self-change, else a request. */
function changeForm(s, again) {
  const mode = s.tariff.allowsSelfChange ? "SELF_CHANGE" : "REQUEST";
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: (event) => {
        event.preventDefault();
        perform("ChangeService", { serviceId: s.id, tariffId: new FormData(form).get("tariff"), mode }, again);
      },
    },
    h("label", {}, t("New tariff"), h("select", { name: "tariff", "aria-label": `New tariff for ${s.tariff.name}` }, s.changeOptions.map((option) => h("option", { value: option.id }, option.name)))),
    h("button", { type: "submit" }, mode === "SELF_CHANGE" ? t("Change now") : t("Request change")),
  );
  return form;
}

function documentList(documents) {
  return [
    h("h2", {}, t("Documents")),
    h(
      "ul",
      { id: "documents" },
      documents.map((d) =>
        h("li", {}, h("a", { href: d.downloadUrl, target: "_blank", rel: "noopener" }, d.title), ` ${label(d.kind)}, ${date(d.createdAt)} `, h("a", { href: `${d.downloadUrl}&download=1` }, t("Download"))),
      ),
    ),
  ];
}

function ticketList(accountId, tickets, can, again) {
  const form = h(
    "form",
    { class: "filters", id: "new-ticket", onsubmit: open },
    h("label", {}, t("Subject"), h("input", { name: "subject", required: true, maxlength: 200 })),
    h("label", {}, t("Message"), h("textarea", { name: "message", required: true, rows: 2 })),
    h(
      "label",
      {},
      t("Priority"),
      h("select", { name: "priority" }, ["LOW", "MEDIUM", "HIGH", "URGENT"].map((p) => h("option", { value: p, selected: p === "MEDIUM" }, label(p)))),
    ),
    can.hideTicketsFromMain ? h("label", {}, h("input", { type: "checkbox", name: "hidden" }), t("Hide from my main account")) : null,
    h("button", { type: "submit" }, t("Open ticket")),
  );
  function open(event) {
    event.preventDefault();
    const data = new FormData(form);
    const variables = { accountId, subject: data.get("subject"), message: data.get("message"), priority: data.get("priority") || "MEDIUM", hiddenFromMain: data.get("hidden") === "on" };
    perform("CreateTicket", variables, again);
  }
  return [
    h("h2", {}, t("Tickets")),
    h("ul", { id: "tickets" }, tickets.map((ticket) => h("li", {}, h("a", { href: `#/tickets/${ticket.id}` }, ticket.subject), " ", status(ticket.status), ` ${label(ticket.priority)}, ${date(ticket.createdAt)}`))),
    form,
  ];
}

/** A value of the history in words: enum values as words, nothing internal. */
function word(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (typeof value === "string" && /^[A-Z][A-Z_]+$/.test(value)) return label(value);
  if (typeof value === "object") return null;
  return String(value);
}

/** What changed, as "Status: Active → Paused"; ids and nested records are left out. */
function change(details) {
  const before = details?.before ?? {};
  const after = details?.after ?? {};
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => !/id$/i.test(key) && word(before[key]) !== null && word(after[key]) !== null)
    .map((key) => `${label(key)}: ${word(before[key])} → ${word(after[key])}`)
    .join("; ");
}

/** The account's history: who did what, when (with before and after where they changed). */
function activityList(entries) {
  return [
    h("h2", {}, t("Activity")),
    entries.length
      ? table(
          "activity",
          [t("When"), t("Who"), t("What"), t("Change")],
          entries.map((e) => h("tr", {}, cell(t("When"), dateTime(e.at)), cell(t("Who"), e.actor), cell(t("What"), label(e.action)), cell(t("Change"), change(e.details)))),
        )
      : h("p", {}, t("Nothing yet.")),
  ];
}
