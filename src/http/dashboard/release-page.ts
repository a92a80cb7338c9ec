import { html } from "hono/html";
import type { PromotionRow, ReleaseRow } from "../../store/index.ts";
import { markup, timeElement } from "./format.ts";
import { commitLink, type DashboardLinks, tagLink } from "./links.ts";
import { pageHead, pagePolicy } from "./page-style.ts";
import { dashboardPath } from "./paths.ts";
import { renderTimeline } from "./timeline.ts";

export interface ReleaseView {
  app: string;
  version: string;
  /** Every record of this version, oldest first (more than one when the tag was moved). */
  records: readonly ReleaseRow[];
  promotions: readonly PromotionRow[];
  /** Trace ids (OpenTelemetry, when tracing is on) of each record's release checks, by tag object. */
  releaseTraces: ReadonlyMap<string, string>;
  /** Trace ids of each promotion's job, by promotion id. */
  promotionTraces: ReadonlyMap<string, string>;
  links: DashboardLinks;
  now: number;
}

const orNone = (value: string | null) =>
  value ? html`<code>${value}</code>` : html`<span class="muted">none</span>`;

function record(r: ReleaseRow, view: ReleaseView) {
  const links = view.links.app(r.app);
  const checks =
    r.reasons.length === 0
      ? html`<p><span class="status status-succeeded">all checks passed</span></p>`
      : html`<ul class="checks">${r.reasons.map(
          (reason) =>
            html`<li><span class="status status-failed">${reason.code}</span> <span class="detail warn">${reason.message}</span></li>`,
        )}</ul>`;
  return html`<section class="record" data-tag-object="${r.tagObject}" aria-label="release record ${r.tagObject}">
<h2><span class="status status-${r.status === "verified" ? "succeeded" : "failed"}" data-release-status="${r.status}">${r.status}</span>
${tagLink(links, r.tagName)}${r.tagState === "ok" ? "" : html` <span class="flag tag">tag ${r.tagState}</span>`}</h2>
<dl class="facts">
<dt>tag object</dt><dd>${orNone(r.tagObject)}</dd>
<dt>commit</dt><dd>${commitLink(links, r.commit)}</dd>
<dt>module</dt><dd><code>${r.module}</code></dd>
<dt>signer</dt><dd>${r.signer ?? html`<span class="muted">none</span>`}${r.signatureFormat ? html` <span class="muted">(${r.signatureFormat})</span>` : ""}</dd>
<dt>key fingerprint</dt><dd>${orNone(r.keyFingerprint)}</dd>
<dt>SBOM digest</dt><dd>${orNone(r.sbomDigest)}${r.sbomFormat ? html` <span class="muted">(${r.sbomFormat})</span>` : ""}</dd>
<dt>first seen</dt><dd>${timeElement(r.firstSeenAt ?? r.createdAt, view.now, "utc")}</dd>
<dt>trace id</dt><dd data-trace>${orNone(view.releaseTraces.get(r.tagObject) ?? null)}</dd>
</dl>
<h3>Checks</h3>
${checks}
</section>`;
}

/** One release: every record of its tag (checks, signer, SBOM digest) and every promotion of it. */
export function renderReleasePage(view: ReleaseView): string {
  return markup(html`<!doctype html>
<html lang="en">
${pageHead(`${view.app} ${view.version} · relbot`)}
<body>
<header><h1>${view.app} ${view.version}</h1><p><a href="${dashboardPath}">all releases</a></p></header>
<main>
${view.records.length === 0 ? html`<p class="muted">relbot has no record of this tag; it was promoted from an earlier record or by hand.</p>` : view.records.map((r) => record(r, view))}
<section aria-labelledby="promotions">
<h2 id="promotions">Promotions of ${view.version}</h2>
${renderTimeline(view.promotions, view.now, view.links, view.promotionTraces)}
</section>
</main>
</body>
</html>
`);
}

/** A release relbot has no record of (or an app not configured): said plainly, with the way back. */
export function renderReleaseNotFound(what: string): string {
  return markup(html`<!doctype html>
<html lang="en">
${pageHead("relbot: no such release")}
<body>
<header><h1>relbot releases</h1></header>
<main><p id="not-found">${what}</p><p><a href="${dashboardPath}">all releases</a></p></main>
</body>
</html>
`);
}

export const releasePagePolicy = pagePolicy();
