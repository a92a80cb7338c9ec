import { html } from "hono/html";
import type { PromotionRow } from "../../store/index.ts";
import { shortSha, timeElement } from "./format.ts";

function change(p: PromotionRow) {
  const from =
    p.fromVersion === null ? html`<span class="muted">none</span>` : html`<code>${p.fromVersion}</code>`;
  const kind = p.kind === "rollback" ? html` <span class="flag tag">rollback</span>` : "";
  const reason = p.reason ? html`<span class="detail">because ${p.reason}</span>` : "";
  const error = p.error ? html`<span class="detail warn">${p.error}</span>` : "";
  return html`${from} → <code>${p.toVersion}</code>${kind}${reason}${error}`;
}

/** The latest promotions, newest first, whatever became of them. */
export function renderTimeline(promotions: readonly PromotionRow[], now: number) {
  if (promotions.length === 0) return html`<p class="muted">No promotions yet.</p>`;
  const rows = promotions.map(
    (p) => html`<tr data-promotion="${p.id}">
<td>${timeElement(p.createdAt, now, "utc")}</td>
<td>${p.app}</td>
<td>${p.env}</td>
<td class="change">${change(p)}</td>
<td>${p.actor}</td>
<td>${p.source}</td>
<td><span class="status status-${p.status}">${p.status}</span></td>
<td>${shortSha(p.gitopsCommit)}</td>
</tr>`,
  );
  return html`<div class="scroll"><table class="timeline">
<caption>Promotions, newest first (the latest ${promotions.length}; the API has them all).</caption>
<thead><tr><th scope="col">requested</th><th scope="col">app</th><th scope="col">env</th><th scope="col">change</th>
<th scope="col">actor</th><th scope="col">source</th><th scope="col">status</th><th scope="col">GitOps commit</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
