// Building screens: elements from plain data (text is never parsed as HTML), locale
// formatting, the error banner, and running an operation from a button or form.

import { call, refusal } from "./api.js";
import { intlLocale, t } from "./i18n.js";

const main = document.getElementById("main");

/** Builds an element; strings become text nodes (never HTML). */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Builds an SVG element (the usage chart). */
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

function build(el, attrs, children) {
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

/** The signed-in account's currency (ISO 4217), for every amount the portal shows. */
let currency = null;
export function setCurrency(code) {
  currency = code || null;
}
/** An amount with its currency, in the reader's locale ("€117.81", "117,81 €"). */
export const money = (amount) =>
  new Intl.NumberFormat(intlLocale(), currency
    ? { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }
    : { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(amount));
export const date = (iso) => (iso ? new Intl.DateTimeFormat(intlLocale(), { dateStyle: "medium" }).format(new Date(iso)) : "");
export const dateTime = (iso) =>
  iso ? new Intl.DateTimeFormat(intlLocale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "";
/** An enum value or an action name as words: `AWAITING_MAIN_APPROVAL`, `service.paused`. */
export function label(word) {
  const words = String(word).replaceAll(/([a-z])([A-Z])/g, "$1 $2").replaceAll(/[._]/g, " ").toLowerCase();
  return t(words.charAt(0).toUpperCase() + words.slice(1));
}
export const status = (s) => h("span", { class: `status status-${s}` }, label(s));

/** A table with a header row; cells carry their column's name for the phone layout. */
export function table(id, columns, rows) {
  return h(
    "table",
    { id },
    h("thead", {}, h("tr", {}, columns.map((title) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, rows),
  );
}

/** A cell named for the phone layout. */
export const cell = (name, ...content) => h("td", { "data-label": name }, ...content);
export const moneyCell = (name, amount) => h("td", { class: "money", "data-label": name }, money(amount));

/** Goes to a screen; to the same one again, it is drawn anew. */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/**
 * A screen begins: its `show` draws (absent parts left out) only while it is the latest one
 * begun, so a slow screen the visitor has moved on from draws nothing over the next (a late
 * dashboard must not cover the sub-accounts asked for after it, even when it arrives last).
 */
let latest = 0;
export function beginScreen() {
  const mine = ++latest;
  const current = () => mine === latest;
  const show = (...parts) => {
    if (current()) main.replaceChildren(...parts.flat().filter((p) => p !== null && p !== undefined && p !== false));
  };
  return { show, current };
}

export function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
  // Above the screen, never over it: brought into view when it says something.
  if (message) box.scrollIntoView({ block: "nearest" });
}

/**
 * Runs a mutation from a button or form: its refusal (userErrors) or error is shown, and on
 * success `then` gets the payload (usually to draw the screen again).
 */
export async function perform(name, variables, then, refused = () => {}, control = null) {
  // One request per click: the control that sent it waits until the answer is in.
  const busy = control ?? (document.activeElement instanceof HTMLButtonElement ? document.activeElement : null);
  if (busy?.disabled) return;
  if (busy) busy.disabled = true;
  try {
    const out = Object.values(await call(name, variables))[0];
    const why = refusal(out);
    if (why) {
      // An idempotency key answers its first result for good: the next try is a new one.
      refused(out);
      return showError(why);
    }
    showError("");
    await then(out);
  } catch (e) {
    showError(e.message);
  } finally {
    if (busy?.isConnected) busy.disabled = false;
  }
}
