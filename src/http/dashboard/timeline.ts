import { html } from "hono/html";
import type { PromotionRow } from "../../store/index.ts";
import { timeElement } from "./format.ts";
import { commitLink, type DashboardLinks, pullRequestLink, versionLink } from "./links.ts";

function change(p: PromotionRow) {
  const from =
    p.fromVersion === null
      ? html`<span class="muted">none</span>`
      : html`<code>${versionLink(p.app, p.fromVersion)}</code>`;
  const kind = p.kind === "rollback" ? html` <span class="flag tag">rollback</span>` : "";
  const reason = p.reason ? html`<span class="detail">because ${p.reason}</span>` : "";
  const error = p.error ? html`<span class="detail warn">${p.error}</span>` : "";
  return html`${from} → <code>${versionLink(p.app, p.toVersion)}</code>${kind}${reason}${error}`;
}

/** Argo CD's verdict, when relbot watches the deployment. */
function deployment(p: PromotionRow) {
  if (p.deploymentState === null) return "";
  const bad = p.deploymentState === "degraded" || p.deploymentState === "timeout";
  return html` <span class="flag ${bad ? "drift" : "pending"}" data-deployment="${p.deploymentState}">${p.deploymentState}</span>`;
}

/** The latest promotions, newest first, whatever became of them. */
export function renderTimeline(
  promotions: readonly PromotionRow[],
  now: number,
  links: DashboardLinks = { app: () => undefined, gitops: undefined },
) {
  if (promotions.length === 0) return html`<p class="muted">No promotions yet.</p>`;
  const rows = promotions.map(
    (p) => html`<tr data-promotion="${p.id}">
<td data-label="requested">${timeElement(p.createdAt, now, "utc")}</td>
<td data-label="app">${p.app}</td>
<td data-label="env">${p.env}</td>
<td data-label="change" class="change">${change(p)}</td>
<td data-label="actor">${p.actor}</td>
<td data-label="source">${p.source}</td>
<td data-label="status" class="status-cell"><span class="status status-${p.status}">${p.status}</span>${deployment(p)}</td>
<td data-label="GitOps commit">${commitLink(links.gitops, p.gitopsCommit)}${
      p.pullRequestNumber === null
        ? ""
        : html` ${pullRequestLink(links.gitops, p.pullRequestNumber, p.pullRequestUrl)}`
    }</td>
</tr>`,
  );
  return html`<div class="scroll"><table class="timeline stack">
<caption>Promotions, newest first (the latest ${promotions.length}; the API has them all).</caption>
<thead><tr><th scope="col">requested</th><th scope="col">app</th><th scope="col">env</th><th scope="col">change</th>
<th scope="col">actor</th><th scope="col">source</th><th scope="col">status</th><th scope="col">GitOps commit</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
