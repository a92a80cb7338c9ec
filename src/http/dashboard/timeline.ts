import { html } from "hono/html";
import type { PromotionRow } from "../../store/index.ts";
import { deploymentFlag, deploymentIsBad } from "./deployment.ts";
import { duration, timeElement } from "./format.ts";
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

/** Seconds from relbot's push (the promotion finished) to Argo CD first reporting the release healthy. */
export function pushedToHealthySeconds(p: Pick<PromotionRow, "deployedAt" | "finishedAt">): number | null {
  if (p.deployedAt === null || p.finishedAt === null) return null;
  return Math.max(0, Math.round((p.deployedAt - p.finishedAt) / 1000));
}

/**
 * Argo CD's verdict, when relbot watches the deployment, and how long the release took from the push to running
 * healthy (the part of the lead time that is Argo CD's).
 */
function deployment(p: PromotionRow) {
  if (p.deploymentState === null) return "";
  const seconds = pushedToHealthySeconds(p);
  const pushedToHealthy =
    seconds === null
      ? ""
      : html`<span class="detail" data-pushed-to-healthy="${seconds}">healthy ${duration(seconds)} after the push</span>`;
  const message =
    deploymentIsBad(p.deploymentState) && p.deploymentMessage
      ? html`<span class="detail warn">${p.deploymentMessage}</span>`
      : "";
  return html` <span data-deployment="${p.deploymentState}">${deploymentFlag(p.deploymentState)}</span>${pushedToHealthy}${message}`;
}

const traceCell = (id: string | undefined) =>
  id ? html`<code title="${id}">${id.slice(0, 16)}…</code>` : html`<span class="muted">none</span>`;

/** The latest promotions, newest first, whatever became of them. */
export function renderTimeline(
  promotions: readonly PromotionRow[],
  now: number,
  links: DashboardLinks = { app: () => undefined, gitops: undefined },
  /** Given (the release page), a "trace" column with each promotion's trace id. */
  traces?: ReadonlyMap<string, string>,
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
    }</td>${
      traces
        ? html`
<td data-label="trace" data-trace>${traceCell(traces.get(p.id))}</td>`
        : ""
    }
</tr>`,
  );
  return html`<div class="scroll"><table class="timeline stack">
<caption>Promotions, newest first (the latest ${promotions.length}; the API has them all).</caption>
<thead><tr><th scope="col">requested</th><th scope="col">app</th><th scope="col">env</th><th scope="col">change</th>
<th scope="col">actor</th><th scope="col">source</th><th scope="col">status</th><th scope="col">GitOps commit</th>${
    traces ? html`<th scope="col">trace</th>` : ""
  }</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
