import { createHash } from "node:crypto";
import { html, raw } from "hono/html";

// One stylesheet for the dashboard and its sign-in page. Colours are chosen for at least 4.5:1 contrast (WCAG AA),
// and every state shown in colour is also written out in words.
export const pageStyle = `
:root { color-scheme: light; --ink: #1d2430; --muted: #586174; --line: #d8dde5; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--ink); background: var(--bg); }
header { background: #1d2430; color: #fff; padding: 12px 24px; display: flex; gap: 8px 20px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header a { color: #b8d4ff; }
header .muted { color: #c3cad6; }
header p { margin: 0; }
header form { margin: 0 0 0 auto; }
main { max-width: 1200px; margin: 0 auto; padding: 8px 24px 32px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 8px 10px; color: var(--muted); }
th, td { text-align: left; padding: 6px 10px; border-top: 1px solid #eef0f3; vertical-align: top; }
thead th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; white-space: nowrap; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; }
.version { font: 600 15px ui-monospace, SFMono-Regular, Menlo, monospace; }
table.grid { table-layout: fixed; min-width: 640px; }
table.grid th[scope="row"], table.grid thead th:first-child { width: 150px; }
.cell p { margin: 2px 0; }
.cell.drift { background: #fff0ef; box-shadow: inset 4px 0 0 #c62828; }
.warn { color: #a40e26; font-weight: 600; }
.warn .muted { font-weight: normal; }
.flag { display: inline-block; font-size: 12px; font-weight: 600; padding: 0 6px; border-radius: 10px; }
.flag.drift, .flag.tag { background: #ffd8d3; color: #82071e; }
.flag.pending, .flag.deploy-pending { background: #ddf4ff; color: #0550ae; }
.flag.deploy-healthy { background: #dafbe1; color: #116329; }
.flag.deploy-bad { background: #ffd8d3; color: #82071e; }
.deployment { margin: 2px 0; }
.status { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; }
.status-succeeded { background: #dafbe1; color: #116329; }
.status-noop { background: #eaeef2; color: #24292f; }
.status-failed { background: #ffebe9; color: #a40e26; }
.status-denied, .status-rejected, .status-expired { background: #fff1e5; color: #8a3700; }
.status-cancelled { background: #eaeef2; color: #24292f; }
.status-queued, .status-running, .status-awaiting-approval, .status-pr-open { background: #ddf4ff; color: #0550ae; }
.chain { padding: 2px 10px; border-radius: 12px; font-weight: 600; }
.chain.ok { background: #dafbe1; color: #116329; }
.chain.broken { background: #ffebe9; color: #a40e26; }
.detail { display: block; font-size: 12.5px; color: var(--muted); max-width: 42ch; overflow-wrap: anywhere; }
.timeline td { white-space: nowrap; }
.timeline td.change { white-space: normal; min-width: 220px; }
.timeline td.status-cell { white-space: normal; min-width: 130px; }
.timeline td[data-label="actor"] { white-space: normal; overflow-wrap: anywhere; min-width: 8em; }
.sign-in { max-width: 440px; margin: 48px auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px 24px; }
.sign-in label { display: block; margin: 12px 0 4px; font-weight: 600; }
.sign-in input { width: 100%; padding: 6px 8px; font-size: 14px; }
.sign-in button, header button { margin-top: 12px; padding: 6px 16px; font-size: 14px; }
header button { margin: 0; padding: 3px 10px; }
.cell.problem { background: #fff8f0; box-shadow: inset 4px 0 0 #bc4c00; }
.problem { margin: 4px 0; }
th .problem { font-weight: normal; white-space: normal; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 16px 0 0; }
.filters select { font-size: 14px; padding: 2px 4px; max-width: 100%; }
.filters button { padding: 3px 12px; font-size: 14px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; margin-bottom: 12px; }
.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
.chart svg { display: block; width: 100%; height: auto; }
.chart text { font-size: 12px; fill: var(--muted); }
.chart figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
.dora-window { margin: -4px 0 10px; font-size: 14px; color: var(--muted); }
.dora-window a[aria-current] { color: var(--ink); font-weight: 600; text-decoration: none; }
.axis { stroke: var(--line); }
.bar-deploy, .key-deploy::before { fill: #0969da; background: #0969da; }
.bar-fail, .key-fail::before { fill: #cf222e; background: #cf222e; }
.bar-median, .key-median::before { fill: #0969da; background: #0969da; }
.bar-p90, .key-p90::before { fill: #b6d7ff; background: #b6d7ff; }
.key::before { content: ""; display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 8px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.checks { padding-left: 20px; }
.approvals form { display: inline-flex; flex-wrap: wrap; gap: 4px; margin: 0 8px 4px 0; }
.approvals input[name="reason"] { min-width: 0; width: 12em; max-width: 100%; }
@media (max-width: 640px) {
  main, header { padding-left: 12px; padding-right: 12px; }
  /* On a phone every table becomes a stack of cards: each row a card, each cell a labelled line, so status and
     error are on screen without scrolling sideways. */
  table.stack, table.stack tbody, table.stack tr, table.stack td, table.stack tbody th { display: block; width: auto; }
  table.stack { min-width: 0; table-layout: auto; }
  table.stack thead { display: none; }
  table.stack caption { display: block; }
  table.grid th[scope="row"] { width: auto; }
  table.stack tr { border-top: 2px solid var(--line); padding: 4px 0; }
  table.stack td, table.stack tbody th { border: 0; padding: 2px 10px; white-space: normal; overflow-wrap: anywhere; }
  table.stack td[data-label]::before { content: attr(data-label); display: inline-block; min-width: 7.5em; color: var(--muted); font-weight: normal; }
  .timeline td.change { min-width: 0; }
  .detail { max-width: none; }
  .facts { grid-template-columns: 1fr; }
  /* The charts shrink to the screen with their viewBox: larger type keeps the labels readable. */
  .chart text { font-size: 20px; }
}
`;

const sha256Source = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** The <head> both pages share: no referrer leaves the page, and the one stylesheet inline (allowed by hash). */
export function pageHead(title: string) {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(pageStyle)}</style>
</head>`;
}

/**
 * Only the page's own inline style (and script, when it has one) by hash; nothing loads from anywhere, and forms
 * post only to this origin.
 */
export function pagePolicy(script?: string): string {
  return [
    "default-src 'none'",
    script === undefined ? undefined : `script-src ${sha256Source(script)}`,
    `style-src ${sha256Source(pageStyle)}`,
    script === undefined ? undefined : "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ]
    .filter((directive) => directive !== undefined)
    .join("; ");
}
