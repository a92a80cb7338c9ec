import { html } from "hono/html";
import type { DoraDay, DoraGroup, DoraReport } from "../../domain/dora.ts";
import { duration, percent, utcTime } from "./format.ts";

// DORA charts as server-rendered SVG: no chart library, no script, nothing to load, so the page keeps its strict
// Content-Security-Policy and reads the same without JavaScript. Every bar has a <title> (the figure on hover and
// for screen readers), and the figures are also written out in the table beside the charts.

const chartWidth = 600;
const chartHeight = 140;
const axis = 20;
/** Room above the tallest bar for the scale's label. */
const top = 18;

/** Deployments per UTC day (blue) with the day's failed changes beside them (red), on one scale. */
function dailyChart(daily: readonly DoraDay[]) {
  const max = Math.max(1, ...daily.map((d) => Math.max(d.deployments, d.failures)));
  const slot = chartWidth / Math.max(1, daily.length);
  // Two bars side by side in each day's slot, with a gap between days.
  const barWidth = Math.max(1, slot * 0.4);
  const plot = chartHeight - axis - top;
  const height = (n: number) => (plot * n) / max;
  const bar = (kind: string, x: number, n: number) =>
    html`<rect class="${kind}" x="${x.toFixed(1)}" y="${(chartHeight - axis - height(n)).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height(n).toFixed(1)}"></rect>`;
  const bars = daily.map((d, i) => {
    const x = i * slot + slot * 0.1;
    const label = `${d.day}: ${d.deployments} ${d.deployments === 1 ? "deployment" : "deployments"}, ${d.failures} failed ${d.failures === 1 ? "change" : "changes"}`;
    return html`<g data-day="${d.day}" data-deployments="${d.deployments}" data-failures="${d.failures}"><title>${label}</title>
${bar("bar-deploy", x, d.deployments)}${bar("bar-fail", x + barWidth, d.failures)}</g>`;
  });
  const first = daily[0]?.day ?? "";
  const last = daily[daily.length - 1]?.day ?? "";
  return html`<figure class="chart">
<svg id="dora-daily" viewBox="0 0 ${chartWidth} ${chartHeight}" role="img" aria-label="Deployments and failed changes per day, ${first} to ${last}">
<line class="axis" x1="0" y1="${chartHeight - axis}" x2="${chartWidth}" y2="${chartHeight - axis}"></line>
<line class="axis" x1="0" y1="${top}" x2="${chartWidth}" y2="${top}" stroke-dasharray="4 4"></line>
${bars}
<text x="0" y="${chartHeight - 4}">${first}</text>
<text x="${chartWidth}" y="${chartHeight - 4}" text-anchor="end">${last}</text>
<text x="0" y="${top - 4}">${max} per day</text>
</svg>
<figcaption>Deployments per day <span class="key key-deploy">deployed</span> <span class="key key-fail">failed change</span></figcaption>
</figure>`;
}

/** Median (solid) and p90 (light) lead time per app and environment, on one scale. */
function leadTimeChart(groups: readonly DoraGroup[]) {
  const sampled = groups.filter((g) => g.leadTime.samples > 0);
  if (sampled.length === 0)
    return html`<p class="muted">No lead time yet: no promotion of a verified release reached its environment in this window.</p>`;
  const max = Math.max(...sampled.map((g) => g.leadTime.p90Seconds ?? 0), 1);
  const row = 26;
  const labelWidth = 200;
  const scale = (s: number | null) => (((chartWidth - labelWidth - 10) * (s ?? 0)) / max).toFixed(1);
  const rows = sampled.map((g, i) => {
    const y = i * row;
    const label = `${g.app} ${g.env}: median ${duration(g.leadTime.medianSeconds)}, p90 ${duration(g.leadTime.p90Seconds)}`;
    return html`<g data-app="${g.app}" data-env="${g.env}"><title>${label}</title>
<text x="0" y="${y + 17}">${g.app} · ${g.env}</text>
<rect class="bar-p90" x="${labelWidth}" y="${y + 4}" width="${scale(g.leadTime.p90Seconds)}" height="18"></rect>
<rect class="bar-median" x="${labelWidth}" y="${y + 4}" width="${scale(g.leadTime.medianSeconds)}" height="18"></rect></g>`;
  });
  return html`<figure class="chart">
<svg id="dora-lead-time" viewBox="0 0 ${chartWidth} ${sampled.length * row + 4}" role="img" aria-label="Lead time for changes per app and environment">
${rows}
</svg>
<figcaption>Lead time for changes, tag first seen to running <span class="key key-median">median</span> <span class="key key-p90">p90</span> (longest p90: ${duration(max)})</figcaption>
</figure>`;
}

function figuresTable(report: DoraReport) {
  if (report.groups.length === 0) return html`<p class="muted">No promotions in this window.</p>`;
  const rows = report.groups.map(
    (g) => html`<tr data-app="${g.app}" data-env="${g.env}">
<th scope="row">${g.app}</th><td data-label="env">${g.env}</td>
<td data-label="deployments">${g.deployments.count} <span class="muted">(${g.deployments.perDay}/day)</span></td>
<td data-label="lead time">${duration(g.leadTime.medianSeconds)} <span class="muted">p90 ${duration(g.leadTime.p90Seconds)}</span></td>
<td data-label="change failure rate" data-rate="${g.changeFailureRate.rate ?? ""}">${percent(g.changeFailureRate.rate)} <span class="muted">(${g.changeFailureRate.failures} of ${g.changeFailureRate.changes})</span></td>
<td data-label="time to restore">${duration(g.timeToRestore.medianSeconds)}${
      g.timeToRestore.open > 0 ? html` <span class="flag drift">${g.timeToRestore.open} open</span>` : ""
    }</td></tr>`,
  );
  const t = report.total;
  return html`<div class="scroll"><table class="dora stack">
<caption>DORA measures ${utcTime(report.window.since)} to ${utcTime(report.window.until)}: all together
${t.deployments.count} deployments, lead time ${duration(t.leadTime.medianSeconds)} (p90 ${duration(t.leadTime.p90Seconds)}),
change failure rate ${percent(t.changeFailureRate.rate)}, time to restore ${duration(t.timeToRestore.medianSeconds)}.</caption>
<thead><tr><th scope="col">app</th><th scope="col">env</th><th scope="col">deployments</th><th scope="col">lead time (median)</th>
<th scope="col">change failure rate</th><th scope="col">time to restore (median)</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** The DORA section: the two charts and the figures per app and environment. */
export function renderDora(report: DoraReport) {
  return html`<div class="charts">${dailyChart(report.daily)}${leadTimeChart(report.groups)}</div>${figuresTable(report)}`;
}
