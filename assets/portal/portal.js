// The reference customer portal: nothing but the public API. Every operation is a trusted
// document of operations/ (loaded from /portal/operations.js) sent by its documentId, so the
// portal works with PORTAL_TRUSTED_DOCUMENTS=require. What the viewer may not do is not
// offered: every button asks Account.capabilities. No build step, no dependencies.
"use strict";

const OPS = Object.fromEntries((window.PORTAL_EXAMPLES || []).map((op) => [op.name, op]));
const session = window.sessionStorage;
const main = document.getElementById("main");

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Builds an element; strings become text nodes (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const money = (amount) =>
  new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(amount));
const date = (iso) => (iso ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(new Date(iso)) : "");
const label = (word) => word.charAt(0) + word.slice(1).toLowerCase().replaceAll("_", " ");
const status = (s) => h("span", { class: `status status-${s}` }, label(s));

/** Shows a screen (absent parts left out). */
function show(...parts) {
  main.replaceChildren(...parts.filter((p) => p !== null && p !== undefined && p !== false));
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
}

/** Runs a trusted operation; a spent access token is refreshed once, silently. */
async function call(name, variables = {}, retry = true) {
  const op = OPS[name];
  if (!op) throw new ApiError(`unknown operation ${name}`, "CLIENT");
  const headers = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  const token = session.getItem("accessToken");
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ documentId: op.id, variables }),
  });
  const body = await response.json();
  const code = body.errors?.[0]?.extensions?.code;
  if (code === "UNAUTHENTICATED" && retry && (await refresh())) return call(name, variables, false);
  if (code === "UNAUTHENTICATED") {
    forget();
    route();
  }
  if (body.errors?.length) throw new ApiError(body.errors[0].message, code);
  return body.data;
}

async function refresh() {
  const refreshToken = session.getItem("refreshToken");
  if (!refreshToken) return false;
  session.removeItem("accessToken");
  const data = await call("RefreshSession", { refreshToken }, false).catch(() => null);
  const out = data?.refreshSession;
  if (!out?.accessToken) return false;
  remember(out);
  return true;
}

function remember(tokens) {
  session.setItem("accessToken", tokens.accessToken);
  session.setItem("refreshToken", tokens.refreshToken);
}

function forget() {
  session.removeItem("accessToken");
  session.removeItem("refreshToken");
  live?.close();
  live = null;
}

/** The first business refusal of a payload, as a message. */
function refusal(payload) {
  const e = payload?.userErrors?.[0];
  return e ? `${e.message} (${e.code})` : null;
}

// ----- live notifications (graphql-transport-ws) -----

let live = null;
let unread = 0;

function setUnread(n) {
  unread = n;
  document.getElementById("unread").textContent = String(n);
}

function listen() {
  if (live || !session.getItem("accessToken")) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  live = new WebSocket(`${scheme}://${location.host}/graphql/ws`, "graphql-transport-ws");
  live.onopen = () =>
    live.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${session.getItem("accessToken")}` } }));
  live.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      live.send(JSON.stringify({ id: "bell", type: "subscribe", payload: { query: OPS.NotificationAdded.document } }));
    } else if (message.type === "ping") {
      live.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload?.data?.notificationAdded) {
      setUnread(unread + 1);
    }
  };
  live.onclose = () => {
    live = null;
  };
}

// ----- screens -----

function signIn() {
  document.getElementById("nav").hidden = true;
  const form = h(
    "form",
    { class: "signin", onsubmit: submit },
    h("h1", {}, "Sign in"),
    h("label", {}, "Login", h("input", { name: "login", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"),
  );
  async function submit(event) {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const out = (await call("Login", { login: data.get("login"), password: data.get("password") })).login;
      const refused = refusal(out);
      if (refused) return showError(refused);
      remember(out);
      showError("");
      location.hash = "#/";
      route();
    } catch (e) {
      showError(e.message);
    }
  }
  show(form);
  form.querySelector("input").focus();
}

async function dashboard() {
  const { viewer } = await call("Dashboard");
  const me = viewer.account;
  setUnread(viewer.unreadNotificationCount);
  document.getElementById("who").textContent = me?.fullName ?? "Staff";
  const recent = me?.recentlyLinkedSubAccounts ?? [];
  show(
    h("h1", {}, `Welcome, ${me?.fullName ?? "staff"}`),
    h("h2", {}, "Recently linked sub-accounts"),
    recent.length
      ? h(
          "ul",
          { id: "recent" },
          recent.map((a) =>
            h("li", {}, a.capabilities.viewDetails ? h("a", { href: `#/accounts/${a.id}` }, a.fullName) : a.fullName, " ", status(a.status), " ", date(a.linkedAt)),
          ),
        )
      : h("p", {}, "No sub-accounts yet."),
    h("p", {}, h("a", { href: "#/sub-accounts" }, "All sub-accounts")),
    me ? h("p", {}, h("a", { href: `#/accounts/${me.id}` }, "My account")) : null,
  );
}

async function subAccounts(params) {
  const filter = {};
  if (params.get("status")) filter.status = [params.get("status")];
  if (params.get("q")) filter.search = params.get("q");
  const sort = params.get("sort") || "FULL_NAME";
  const variables = { filter, orderBy: { field: sort, direction: "ASC" }, first: 20, after: params.get("after") || null };
  const account = (await call("SubAccounts", variables)).viewer.account;
  const page = account.subAccounts;
  const choose = (name, options, current) =>
    h("select", { name }, options.map(([value, text]) => h("option", { value, selected: value === current }, text)));
  const form = h(
    "form",
    { class: "filters", onsubmit: apply },
    h("label", {}, "Status", choose("status", [["", "All"], ["NEW", "New"], ["ACTIVE", "Active"], ["BLOCKED", "Blocked"], ["INACTIVE", "Inactive"]], params.get("status") || "")),
    h("label", {}, "Search", h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    h("label", {}, "Sort by", choose("sort", [["FULL_NAME", "Name"], ["STATUS", "Status"], ["LINKED_AT", "Linked"], ["TOTAL_SERVICE_COST", "Total cost"]], sort)),
    h("button", { type: "submit" }, "Apply"),
  );
  function apply(event) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) next.set(key, value);
    location.hash = `#/sub-accounts?${next}`;
  }
  const cell = (name, ...content) => h("td", { "data-label": name }, ...content);
  const rows = page.nodes.map((a) =>
    h(
      "tr",
      {},
      cell("Full name", a.capabilities.viewDetails ? h("a", { href: `#/accounts/${a.id}` }, a.fullName) : a.fullName),
      cell("Status", status(a.status)),
      cell("Address", `${a.address.street}, ${a.address.zipCode} ${a.address.city}`),
      cell("Active services", String(a.activeServicesCount)),
      cell("Billing", `${label(a.billingMode)} · ${label(a.subAccountType)}`),
      h("td", { class: "money", "data-label": "Total cost" }, money(a.totalServiceCost)),
    ),
  );
  const more = new URLSearchParams(params);
  more.set("after", page.pageInfo.endCursor || "");
  show(
    h("h1", {}, "Sub-accounts"),
    account.subAccountManagement ? null : h("p", { id: "read-only" }, "Your ISP has not enabled sub-account management: the list is read-only."),
    form,
    h("p", { role: "status" }, `${page.totalCount} sub-accounts`),
    h(
      "table",
      { id: "sub-accounts" },
      h("thead", {}, h("tr", {}, ["Full name", "Status", "Address", "Active services", "Billing", "Total cost"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
    page.pageInfo.hasNextPage ? h("p", {}, h("a", { href: `#/sub-accounts?${more}` }, "Next page")) : null,
  );
}

async function accountPage(id) {
  const data = await call("SubAccount", { id });
  const account = data.node;
  const me = data.viewer.account;
  const can = account.capabilities;
  // An aggregated sub-account ordering for itself asks its main (no payment); anyone else
  // pays from the payer's balance.
  const asksMain = me?.id === account.id && me.subAccountType === "AGGREGATED";
  const tariffs = can.order ? (await call("Tariffs")).tariffs : [];
  const orderForm = can.order
    ? h(
        "form",
        { class: "filters", id: "new-order", onsubmit: order },
        h("label", {}, "Service to order", h("select", { name: "tariff" }, tariffs.map((t) => h("option", { value: t.id }, `${t.name} (${money(t.price)} + ${t.taxPercent}% tax)`)))),
        h("button", { type: "submit" }, asksMain ? "Ask my main account" : "Order and pay from balance"),
      )
    : null;
  async function order(event) {
    event.preventDefault();
    const tariffId = new FormData(orderForm).get("tariff");
    try {
      const variables = { accountId: id, items: [{ tariffId, quantity: 1 }], paymentMethod: asksMain ? null : { kind: "ACCOUNT_BALANCE" } };
      const out = (await call("PlaceOrder", variables)).placeOrder;
      const refused = refusal(out);
      if (refused) return showError(refused);
      showError("");
      await accountPage(id);
      document.getElementById("placed").textContent = `Order ${out.order.number}: ${label(out.order.status)}`;
    } catch (e) {
      showError(e.message);
    }
  }
  async function act(operation, serviceId) {
    try {
      const out = Object.values(await call(operation, { serviceId }))[0];
      const refused = refusal(out);
      if (refused) return showError(refused);
      showError("");
      await accountPage(id);
    } catch (e) {
      showError(e.message);
    }
  }
  const services = account.services.nodes.map((s) =>
    h(
      "tr",
      { "data-service": s.id },
      h("td", { "data-label": "Service" }, s.tariff.name),
      h("td", { "data-label": "Status", class: "service-status" }, status(s.status)),
      h("td", { class: "money", "data-label": "Price" }, money(s.price)),
      h(
        "td",
        { "data-label": "Actions" },
        can.pauseServices && s.status === "ACTIVE" ? h("button", { type: "button", onclick: () => act("PauseService", s.id) }, `Pause ${s.tariff.name}`) : null,
        can.pauseServices && s.status === "PAUSED" ? h("button", { type: "button", onclick: () => act("ResumeService", s.id) }, `Resume ${s.tariff.name}`) : null,
      ),
    ),
  );
  const documents = can.viewDocuments ? (await call("AccountDocuments", { id })).node.documents.nodes : null;
  const tickets = can.manageTickets ? (await call("AccountTickets", { id })).node.tickets.nodes : null;
  const ticketForm = can.manageTickets
    ? h(
        "form",
        { class: "filters", id: "new-ticket", onsubmit: openTicket },
        h("label", {}, "Subject", h("input", { name: "subject", required: true, maxlength: 200 })),
        h("label", {}, "Message", h("textarea", { name: "message", required: true, rows: 2 })),
        can.hideTicketsFromMain ? h("label", {}, h("input", { type: "checkbox", name: "hidden" }), "Hide from my main account") : null,
        h("button", { type: "submit" }, "Open ticket"),
      )
    : null;
  async function openTicket(event) {
    event.preventDefault();
    const data = new FormData(ticketForm);
    try {
      const variables = { accountId: id, subject: data.get("subject"), message: data.get("message"), priority: "MEDIUM", hiddenFromMain: data.get("hidden") === "on" };
      const out = (await call("CreateTicket", variables)).createTicket;
      const refused = refusal(out);
      if (refused) return showError(refused);
      showError("");
      await accountPage(id);
    } catch (e) {
      showError(e.message);
    }
  }
  show(
    h("p", {}, h("a", { href: "#/sub-accounts" }, "← Sub-accounts")),
    h("h1", {}, account.fullName, " ", status(account.status)),
    h("h2", {}, "Services"),
    h(
      "table",
      { id: "services" },
      h("thead", {}, h("tr", {}, ["Service", "Status", "Price", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, services),
    ),
    documents ? h("h2", {}, "Documents") : null,
    documents
      ? h(
          "ul",
          { id: "documents" },
          documents.map((d) =>
            h("li", {}, h("a", { href: d.downloadUrl, target: "_blank", rel: "noopener" }, d.title), ` ${label(d.kind)}, ${date(d.createdAt)} `, h("a", { href: `${d.downloadUrl}&download=1` }, "Download")),
          ),
        )
      : null,
    tickets ? h("h2", {}, "Tickets") : null,
    tickets ? h("ul", { id: "tickets" }, tickets.map((t) => h("li", {}, h("a", { href: `#/tickets/${t.id}` }, t.subject), " ", status(t.status), ` ${label(t.priority)}, ${date(t.createdAt)}`))) : null,
    ticketForm,
    orderForm ? h("h2", {}, "Order a service") : null,
    orderForm,
    h("p", { id: "placed", role: "status" }),
  );
}

async function ticketPage(id) {
  const ticket = (await call("Ticket", { id })).node;
  const open = ticket.status !== "RESOLVED" && ticket.account.capabilities.manageTickets;
  async function act(operation, variables) {
    try {
      const out = Object.values(await call(operation, variables))[0];
      const refused = refusal(out);
      if (refused) return showError(refused);
      showError("");
      await ticketPage(id);
    } catch (e) {
      showError(e.message);
    }
  }
  const reply = open
    ? h(
        "form",
        {
          class: "filters",
          id: "reply",
          onsubmit: (event) => {
            event.preventDefault();
            act("ReplyToTicket", { ticketId: id, message: new FormData(event.target).get("message") });
          },
        },
        h("label", {}, "Reply", h("textarea", { name: "message", required: true, rows: 2 })),
        h("button", { type: "submit" }, "Send"),
        h("button", { type: "button", onclick: () => act("CloseTicket", { ticketId: id }) }, "Close ticket"),
      )
    : null;
  show(
    h("p", {}, h("a", { href: `#/accounts/${ticket.account.id}` }, `← ${ticket.account.fullName}`)),
    h("h1", {}, ticket.subject, " ", h("span", { id: "ticket-status" }, status(ticket.status))),
    ticket.hiddenFromMain ? h("p", {}, "Hidden from the main account.") : null,
    h(
      "ol",
      { id: "messages" },
      ticket.messages.nodes.map((m) => h("li", {}, h("strong", {}, m.fromStaff ? `${m.authorName} (ISP)` : m.authorName), ` ${date(m.createdAt)}: `, m.body)),
    ),
    reply,
  );
}

async function manageOrders(params) {
  const waiting = params.get("all") ? null : ["AWAITING_MAIN_APPROVAL"];
  const account = (await call("ManageOrders", { status: waiting, first: 50 })).viewer.account;
  async function decide(order, approve) {
    try {
      const out = approve
        ? (await call("ApproveOrder", { orderId: order.id, paymentMethod: { kind: "ACCOUNT_BALANCE" }, idempotencyKey: `approve-${order.id}` })).approveOrder
        : (await call("RejectOrder", { orderId: order.id, reason: "Rejected in the portal" })).rejectOrder;
      const refused = refusal(out);
      if (refused) return showError(refused);
      showError("");
      location.hash = "#/orders?all=1";
    } catch (e) {
      showError(e.message);
    }
  }
  const rows = account.subAccountOrders.nodes.map((o) =>
    h(
      "tr",
      { "data-order": o.number },
      h("td", { "data-label": "Order" }, o.number),
      h("td", { "data-label": "Sub-account" }, o.account.fullName),
      h("td", { "data-label": "Items" }, o.items.map((i) => `${i.quantity} × ${i.tariff.name}`).join(", ")),
      h("td", { "data-label": "Status", class: "order-status" }, status(o.status)),
      h("td", { class: "money", "data-label": "Total" }, money(o.total)),
      h(
        "td",
        { "data-label": "Invoice", class: "order-invoice" },
        o.invoice?.document ? h("a", { href: o.invoice.document.downloadUrl, target: "_blank", rel: "noopener" }, o.invoice.number) : o.invoice?.number ?? "",
      ),
      h(
        "td",
        { "data-label": "Actions" },
        o.status === "AWAITING_MAIN_APPROVAL" && o.account.capabilities.manageOrders
          ? [
              h("button", { type: "button", onclick: () => decide(o, true) }, `Approve ${o.number} (pay from balance)`),
              " ",
              h("button", { type: "button", onclick: () => decide(o, false) }, `Reject ${o.number}`),
            ]
          : null,
        o.expiresAt && o.status === "AWAITING_MAIN_APPROVAL" ? ` expires ${date(o.expiresAt)}` : null,
      ),
    ),
  );
  show(
    h("h1", {}, "Manage orders"),
    h("p", {}, waiting ? h("a", { href: "#/orders?all=1" }, "Show all orders") : h("a", { href: "#/orders" }, "Show waiting orders only")),
    h("p", { role: "status" }, `${account.subAccountOrders.totalCount} orders`),
    h(
      "table",
      { id: "orders" },
      h("thead", {}, h("tr", {}, ["Order", "Sub-account", "Items", "Status", "Total", "Invoice", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
  );
}

// ----- routing -----

async function route() {
  if (!session.getItem("accessToken")) return signIn();
  document.getElementById("nav").hidden = false;
  listen();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  try {
    if (path === "/sub-accounts") await subAccounts(params);
    else if (path === "/orders") await manageOrders(params);
    else if (path.startsWith("/tickets/")) await ticketPage(decodeURIComponent(path.slice("/tickets/".length)));
    else if (path.startsWith("/accounts/")) await accountPage(decodeURIComponent(path.slice("/accounts/".length)));
    else await dashboard();
    main.focus();
  } catch (e) {
    if (e.code !== "UNAUTHENTICATED") showError(e.message);
  }
}

document.getElementById("signout").addEventListener("click", async () => {
  await call("Logout", {}, false).catch(() => null);
  forget();
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
route();
