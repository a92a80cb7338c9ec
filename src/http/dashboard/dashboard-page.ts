import { html, raw } from "hono/html";
import type { DoraReport } from "../../domain/dora.ts";
import type { PromotionRow, ReleaseRow } from "../../store/index.ts";
import type { BoardApp, BoardCell } from "../../store/queries/index.ts";
import type { CheckedChain } from "./chain-status.ts";
import { renderDora } from "./dora-charts.ts";
import {
  type DashboardFilter,
  defaultDoraWindowDays,
  doraWindowDays,
  filterHref,
  renderFilterForm,
} from "./filters.ts";
import { markup, timeElement, utcTime } from "./format.ts";
import { renderGrid } from "./grid.ts";
import type { DashboardLinks } from "./links.ts";
import { pageHead, pagePolicy } from "./page-style.ts";
import { signOutPath } from "./paths.ts";
import { renderTimeline } from "./timeline.ts";

export interface DashboardView {
  /** Every configured app (for the filter's choices). */
  allApps: readonly BoardApp[];
  /** The apps and environments the filter leaves. */
  apps: readonly BoardApp[];
  filter: DashboardFilter;
  /** Each app's newest tag, where relbot rejected it. */
  rejected: ReadonlyMap<string, ReleaseRow>;
  dora: DoraReport;
  links: DashboardLinks;
  board: BoardCell[][];
  timeline: readonly PromotionRow[];
  chain: CheckedChain;
  now: number;
  /** Signed in with the session cookie: offer to sign out. */
  signedIn: boolean;
  /** Protected environments: the "Awaiting approval" section (rendered by approvals.ts), or nothing. */
  approvals?: unknown;
}

// The page is complete without script. This one only re-fetches the page every 30 s while the tab is visible and
// swaps in the new header status and board (not the filter form, which may be half filled in), so a dashboard left
// open on a screen stays current. The swapped-in
// markup is this same server-escaped page, parsed inertly by DOMParser (its scripts never run).
const refreshScript = `
(function () {
  "use strict";
  function swap(next, id) {
    var fresh = next.getElementById(id), old = document.getElementById(id);
    if (fresh && old) old.replaceWith(fresh);
  }
  function refresh() {
    if (document.visibilityState !== "visible") return;
    fetch(location.pathname + location.search, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (res) {
      if (!res.ok) return;
      return res.text().then(function (text) {
        var next = new DOMParser().parseFromString(text, "text/html");
        swap(next, "status");
        swap(next, "board");
      });
    }).catch(function () { /* offline for a moment: the next tick tries again */ });
  }
  setInterval(refresh, 30000);
  document.addEventListener("visibilitychange", refresh);
})();
`;

function chainBadge({ verdict, checkedAt }: CheckedChain, now: number) {
  const checked = html`<span class="muted">checked ${timeElement(checkedAt, now, "age")}</span>`;
  if (verdict.ok) {
    return html`<span class="chain ok" data-chain="ok">audit chain intact · ${verdict.events} ${verdict.events === 1 ? "event" : "events"}</span> ${checked}`;
  }
  return html`<span class="chain broken" data-chain="broken">audit chain broken at event ${verdict.firstBadSeq ?? "?"}</span> <span>${verdict.problem ?? ""}</span> ${checked}`;
}

/** Plain links to the other DORA windows, keeping the rest of the filter (no script: the CSP stays as it is). */
function renderWindowLinks(filter: DashboardFilter) {
  const current = filter.window ?? defaultDoraWindowDays;
  const links = doraWindowDays.map((days) =>
    days === current
      ? html`<a href="${filterHref(filter, { window: days })}" aria-current="page" data-window="${days}">${days} days</a>`
      : html`<a href="${filterHref(filter, { window: days })}" data-window="${days}">${days} days</a>`,
  );
  return html`<nav class="dora-window" aria-label="DORA window">Window: ${links.map((link, i) => (i === 0 ? link : html` · ${link}`))}</nav>`;
}

export function renderDashboard(view: DashboardView): string {
  const signOut = view.signedIn
    ? html`<form method="post" action="${signOutPath}"><button type="submit">Sign out</button></form>`
    : "";
  return markup(html`<!doctype html>
<html lang="en">
${pageHead("relbot releases")}
<body>
<header>
<h1>relbot releases</h1>
<p id="status">${chainBadge(view.chain, view.now)} · <span class="updated">as of ${utcTime(view.now)}</span></p>
${signOut}
</header>
<main>
${renderFilterForm(view.allApps, view.filter)}
<div id="board">
${view.approvals ?? ""}
<section aria-labelledby="environments">
<h2 id="environments">Environments</h2>
${renderGrid(view.apps, view.board, view.now, view.rejected, view.links)}
</section>
<section aria-labelledby="dora">
<h2 id="dora">Delivery (DORA), last ${view.dora.window.days} days</h2>
${renderWindowLinks(view.filter)}
${renderDora(view.dora)}
</section>
<section aria-labelledby="promotions">
<h2 id="promotions">Promotion timeline${view.filter.status ? html` <span class="muted">(${view.filter.status} only)</span>` : ""}</h2>
${renderTimeline(view.timeline, view.now, view.links)}
</section>
</div>
</main>
<script>${raw(refreshScript)}</script>
</body>
</html>
`);
}

export const dashboardPolicy = pagePolicy(refreshScript);
