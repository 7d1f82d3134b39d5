// The API as the portal speaks it: trusted operations sent by documentId (from the server's
// own manifest, /portal/operations.js), the session's tokens with one silent refresh, and
// live notifications over graphql-transport-ws.

import { locale, refusalText, t } from "./i18n.js";

/** Who is signed in (the Me operation's account, null for staff), set by the navigation. */
export const who = { account: null };

export const OPS = Object.fromEntries((window.PORTAL_EXAMPLES || []).map((op) => [op.name, op]));
const session = window.sessionStorage;

const offline = () => t("The portal cannot reach the server right now. Try again in a moment.");

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

let signedOut = () => {};
/** What to do when the session is gone for good (the router shows the sign-in form). */
export function whenSignedOut(then) {
  signedOut = then;
}

export const signedIn = () => Boolean(session.getItem("accessToken"));

/** Runs a trusted operation; a spent access token is refreshed once, silently. */
export async function call(name, variables = {}, retry = true) {
  const op = OPS[name];
  if (!op) throw new ApiError(`unknown operation ${name}`, "CLIENT");
  const headers = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
    // The server tells its own sentences (notifications) in the portal's language.
    "accept-language": locale,
  };
  const token = session.getItem("accessToken");
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  let body;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ documentId: op.id, variables }),
    });
    body = await response.json();
  } catch {
    // The server is down or restarting, or the network is away: say so in words.
    throw new ApiError(offline(), "NETWORK");
  }
  if (response.status === 503) throw new ApiError(offline(), "UNAVAILABLE");
  const code = body.errors?.[0]?.extensions?.code;
  if (code === "UNAUTHENTICATED" && retry && (await renewedSince(token))) return call(name, variables, false);
  if (code === "UNAUTHENTICATED") {
    forget();
    signedOut();
  }
  if (body.errors?.length) throw new ApiError(refusalText(code, body.errors[0].message), code);
  return body.data;
}

let refreshing = null;

/**
 * Whether the session has a fresh access token after `token` was refused: calls sent
 * together share one refresh (a refresh token is used once), and one that finds the token
 * renewed meanwhile just tries again.
 */
async function renewedSince(token) {
  const now = session.getItem("accessToken");
  if (!refreshing && now && now !== token) return true;
  return refresh();
}

/** Renews the session once, however many calls found the access token spent. */
function refresh() {
  refreshing ??= renew().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function renew() {
  const refreshToken = session.getItem("refreshToken");
  if (!refreshToken) return false;
  session.removeItem("accessToken");
  const data = await call("RefreshSession", { refreshToken }, false).catch(() => null);
  const out = data?.refreshSession;
  if (!out?.accessToken) return false;
  remember(out);
  reconnect();
  return true;
}

export function remember(tokens) {
  session.setItem("accessToken", tokens.accessToken);
  session.setItem("refreshToken", tokens.refreshToken);
}

export function forget() {
  session.removeItem("accessToken");
  session.removeItem("refreshToken");
  clearTimeout(retry);
  reconnecting = false;
  const socket = live;
  live = null;
  socket?.close();
}

/** The first business refusal of a payload, as a message. */
export function refusal(payload) {
  const e = payload?.userErrors?.[0];
  return e ? refusalText(e.code, e.message) : null;
}

// ----- live notifications -----

let live = null;
let unread = 0;
/** Whether a live connection was made before (an ack after that is a reconnection). */
let reconnecting = false;

export function setUnread(n) {
  unread = n;
  document.getElementById("unread").textContent = String(n);
}

/** Subscribes to the viewer's notifications (once per session): each one raises the bell. */
export function listen() {
  if (live || !signedIn()) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/graphql/ws`, "graphql-transport-ws");
  live = socket;
  socket.onopen = () =>
    socket.send(
      JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${session.getItem("accessToken")}`, acceptLanguage: locale } }),
    );
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      if (reconnecting) recount();
      reconnecting = true;
      socket.send(JSON.stringify({ id: "bell", type: "subscribe", payload: { query: OPS.NotificationAdded.document } }));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload?.data?.notificationAdded) {
      setUnread(unread + 1);
    }
  };
  socket.onclose = () => {
    if (live !== socket) return;
    live = null;
    // The server went away (a restart, a deploy): connect again, waiting longer each time,
    // and read the count afresh once back (notifications meanwhile were not pushed).
    if (!signedIn()) return;
    clearTimeout(retry);
    retry = setTimeout(() => {
      retryDelay = Math.min(retryDelay * 2, 30000);
      listen();
    }, retryDelay);
  };
}

let retry = null;
let retryDelay = 1000;
/** Called when a live connection is acknowledged: the count is read again. */
async function recount() {
  retryDelay = 1000;
  const data = await call("Me").catch(() => null);
  if (data) setUnread(data.viewer.unreadNotificationCount);
}

/** A refreshed session: the subscription is opened again with the new token. */
function reconnect() {
  live?.close();
  live = null;
  listen();
}
