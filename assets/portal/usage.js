// An account's usage: Internet traffic as a bar chart by day (the last 30 days) or by month
// (the last 12), with totals, and voice totals with the latest calls.

import { call } from "./api.js";
import { cell, dateTime, h, money, moneyCell, showError, svg, table } from "./ui.js";
import { intlLocale, t } from "./i18n.js";

const iso = (d) => d.toISOString().slice(0, 10);
const number = (value, unit, digits = 1) =>
  new Intl.NumberFormat(intlLocale(), { style: "unit", unit, maximumFractionDigits: digits }).format(value);
const gigabytes = (bytes) => number(Number(bytes) / 1e9, "gigabyte");
const minutes = (seconds) => number(Number(seconds) / 60, "minute", 0);

/** The range a grouping shows, ending today: `[from, to)`. */
function range(groupBy) {
  const today = new Date();
  const tomorrow = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
  // The last 30 days, today included: 30 bars.
  if (groupBy === "DAY") return { from: iso(new Date(tomorrow.getTime() - 30 * 86400e3)), to: iso(tomorrow) };
  const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 11, 1));
  const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
  return { from: iso(from), to: iso(to) };
}

/** The usage part of an account's page, or nothing when the viewer may see neither kind. */
export async function usageSection(id, can) {
  if (!can.viewInternetUsage && !can.viewVoiceUsage) return null;
  const body = h("div", { id: "usage-figures" });
  const choose = h(
    "select",
    { name: "groupBy", "aria-label": t("Show usage"), onchange: () => fill(choose.value).catch((e) => showError(e.message)) },
    h("option", { value: "DAY" }, t("By day, last 30 days")),
    h("option", { value: "MONTH" }, t("By month, last 12 months")),
  );
  async function fill(groupBy) {
    const variables = { id, groupBy, ...range(groupBy), internet: can.viewInternetUsage, voice: can.viewVoiceUsage };
    const { internetUsage, voiceUsage } = (await call("AccountUsage", variables)).node;
    const parts = [internetUsage && internet(internetUsage, groupBy, variables), voiceUsage && voice(voiceUsage)];
    body.replaceChildren(...parts.flat().filter(Boolean));
  }
  await fill("DAY");
  return h("section", { id: "usage" }, h("h2", {}, t("Usage")), h("label", {}, t("Show"), choose), body);
}

/** Every period of `[from, to)`, with the figures of those that had traffic (else zero). */
function periods(usage, groupBy, { from, to }) {
  const had = new Map(usage.points.map((p) => [p.periodStart, p]));
  const all = [];
  for (let d = new Date(`${from}T00:00:00Z`); iso(d) < to; ) {
    const periodStart = iso(d);
    all.push(had.get(periodStart) ?? { periodStart, downloadBytes: 0, uploadBytes: 0, sessionSeconds: 0 });
    d = groupBy === "DAY" ? new Date(d.getTime() + 86400e3) : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  }
  return all;
}

function internet(usage, groupBy, window) {
  const points = periods(usage, groupBy, window);
  const top = Math.max(1, ...points.map((p) => Number(p.downloadBytes)));
  const width = 100 / Math.max(points.length, 1);
  const when = (p) =>
    new Intl.DateTimeFormat(intlLocale(), groupBy === "DAY" ? { dateStyle: "medium", timeZone: "UTC" } : { year: "numeric", month: "short", timeZone: "UTC" }).format(new Date(p.periodStart));
  const chart = svg(
    "svg",
    { class: "chart", viewBox: "0 0 100 40", preserveAspectRatio: "none", role: "img", "aria-label": `Downloads ${groupBy === "DAY" ? "per day" : "per month"}: ${gigabytes(usage.downloadBytes)} in all` },
    points.map((p, i) => {
      const tall = (Number(p.downloadBytes) / top) * 38;
      return svg("rect", { x: i * width + width * 0.1, y: 40 - tall, width: width * 0.8, height: tall }, svg("title", {}, `${when(p)}: ${gigabytes(p.downloadBytes)}`));
    }),
  );
  // Axes as text beside the drawing (the drawing stretches; text must not): the scale's top
  // and zero, and the first, middle and last period.
  const axis = (p) => (p ? h("span", {}, when(p)) : null);
  const figure = h(
    "figure",
    { class: "chart-frame" },
    h("div", { class: "y-axis", "aria-hidden": "true" }, h("span", {}, gigabytes(top)), h("span", {}, gigabytes(0))),
    chart,
    h("div", { class: "x-axis", "aria-hidden": "true" }, axis(points[0]), axis(points[Math.floor(points.length / 2)]), axis(points[points.length - 1])),
    h("figcaption", {}, `Downloads ${groupBy === "DAY" ? "per day" : "per month"}, ${when(points[0])} to ${when(points[points.length - 1])}`),
  );
  return [
    h("h3", {}, t("Internet")),
    h("p", { id: "internet-totals" }, t("Downloaded {down}, uploaded {up}, online {time}", { down: gigabytes(usage.downloadBytes), up: gigabytes(usage.uploadBytes), time: minutes(usage.sessionSeconds) })),
    figure,
    h(
      "details",
      {},
      h("summary", {}, t("Figures")),
      table(
        "internet-points",
        [t("Period"), t("Downloaded"), t("Uploaded"), t("Online")],
        points.map((p) => h("tr", {}, cell(t("Period"), when(p)), cell(t("Downloaded"), gigabytes(p.downloadBytes)), cell(t("Uploaded"), gigabytes(p.uploadBytes)), cell(t("Online"), minutes(p.sessionSeconds)))),
      ),
    ),
  ];
}

function voice(usage) {
  return [
    h("h3", {}, t("Voice")),
    h("p", { id: "voice-totals" }, `${usage.callCount} calls, ${minutes(usage.totalSeconds)}, ${money(usage.totalCost)}`),
    usage.calls.nodes.length
      ? table(
          "calls",
          [t("Started"), t("Destination"), t("Duration"), t("Cost")],
          usage.calls.nodes.map((c) => h("tr", {}, cell(t("Started"), dateTime(c.startedAt)), cell(t("Destination"), c.destination), cell(t("Duration"), minutes(c.durationSeconds)), moneyCell(t("Cost"), c.cost))),
        )
      : null,
  ];
}
