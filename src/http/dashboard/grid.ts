import { html } from "hono/html";
import type { ReleaseRow } from "../../store/index.ts";
import type { BoardApp, BoardCell } from "../../store/queries/index.ts";
import { deploymentFlag, deploymentIsBad } from "./deployment.ts";
import { timeElement } from "./format.ts";
import { type DashboardLinks, pullRequestLink, tagLink, versionLink } from "./links.ts";
import { releasePath } from "./paths.ts";

/**
 * Column order for apps whose chains differ: each environment lands before the next one of its own chain already
 * placed, so dev/staging/prod and dev/prod and qa/prod all read left to right towards prod.
 */
export function environmentColumns(apps: readonly BoardApp[]): string[] {
  const columns: string[] = [];
  for (const app of apps) {
    app.environments.forEach((env, i) => {
      if (columns.includes(env)) return;
      const laterPlaced = app.environments.slice(i + 1).find((later) => columns.includes(later));
      columns.splice(laterPlaced === undefined ? columns.length : columns.indexOf(laterPlaced), 0, env);
    });
  }
  return columns;
}

function driftNote(drift: NonNullable<BoardCell["drift"]>, now: number) {
  const actual = drift.actual === null ? html`no targetRevision` : html`<code>${drift.actual}</code>`;
  const expected = drift.expected === null ? html`nothing` : html`<code>${drift.expected}</code>`;
  return html`<p class="warn"><span class="flag drift">drift</span> manifest has ${actual}, relbot promoted
${expected} <span class="muted">(seen ${timeElement(drift.detectedAt, now, "age")})</span></p>`;
}

/** A promotion into the cell that ended badly after the current version: the team should see it without digging. */
function problemNote(problem: NonNullable<BoardCell["problem"]>, now: number) {
  const error = problem.error ? html`<span class="detail warn">${problem.error}</span>` : "";
  return html`<p class="problem" data-problem="${problem.status}"><span class="status status-${problem.status}">${problem.status}</span>
→ ${versionLink(problem.app, problem.toVersion)} by ${problem.actor} ${timeElement(problem.createdAt, now, "age")}${error}</p>`;
}

/** Argo CD's verdict on the current version, when relbot watches its deployment: every state, healthy too. */
function deploymentNote(current: NonNullable<BoardCell["current"]>, now: number) {
  const state = current.deploymentState;
  if (state === null) return "";
  const message =
    state !== "healthy" && current.deploymentMessage
      ? html`<span class="detail">${current.deploymentMessage}</span>`
      : "";
  const since =
    current.deploymentSince === null
      ? ""
      : html` <span class="muted">${timeElement(current.deploymentSince, now, "age")}</span>`;
  return html`<p class="deployment${deploymentIsBad(state) ? " warn" : ""}" data-deployment="${state}">${deploymentFlag(state)}${since}${message}</p>`;
}

/** A queued, running, awaiting-approval or pr-open promotion into the cell; an open pull request is linked. */
function pendingNote(p: BoardCell["pending"][number], links: DashboardLinks) {
  const pr =
    p.pullRequestNumber === null
      ? ""
      : html` ${pullRequestLink(links.gitops, p.pullRequestNumber, p.pullRequestUrl)}`;
  return html`<p data-pending="${p.status}"><span class="flag pending">${p.status}</span> → ${versionLink(p.app, p.toVersion)} by ${p.actor}${pr}</p>`;
}

function cellContent(cell: BoardCell, now: number, links: DashboardLinks) {
  const { current } = cell;
  const version = current
    ? html`${versionLink(current.app, current.toVersion, "version")}${
        cell.tagState === "ok" ? "" : html` <span class="flag tag">tag ${cell.tagState}</span>`
      }${deploymentNote(current, now)}
<p class="muted">by ${current.actor} · ${timeElement(current.finishedAt ?? current.updatedAt, now, "age")}</p>`
    : html`<span class="muted">not promoted yet</span>`;
  const pending = cell.pending.map((p) => pendingNote(p, links));
  return html`${version}${cell.drift ? driftNote(cell.drift, now) : ""}${cell.problem ? problemNote(cell.problem, now) : ""}${pending}`;
}

/** The app's newest tag, when relbot rejected it: which checks failed, with the tag linked. */
function rejectedNote(release: ReleaseRow | undefined, links: DashboardLinks) {
  if (!release) return "";
  const reasons = release.reasons.map((r) => r.code).join(", ");
  return html`<p class="problem" data-rejected="${release.version}"><span class="status status-failed">rejected</span>
${tagLink(links.app(release.app), release.tagName)} <a href="${versionPathOf(release)}">details</a><span class="detail warn">${reasons}</span></p>`;
}

const versionPathOf = (r: ReleaseRow) => releasePath(r.app, r.version);

/**
 * The environments x apps table: one row per app, one column per environment, the current version in each cell with
 * its deployment state, and what went wrong since (a failed, denied or rejected promotion; a rejected tag by the app).
 */
export function renderGrid(
  apps: readonly BoardApp[],
  board: BoardCell[][],
  now: number,
  rejected: ReadonlyMap<string, ReleaseRow> = new Map(),
  links: DashboardLinks = { app: () => undefined, gitops: undefined },
) {
  const columns = environmentColumns(apps);
  const rows = apps.map((app, i) => {
    const cells = new Map(board[i]!.map((cell) => [cell.env, cell]));
    const tds = columns.map((env) => {
      const cell = cells.get(env);
      if (!cell) return html`<td class="muted" data-label="${env}">not in chain</td>`;
      const flagged = cell.drift ? " drift" : cell.problem ? " problem" : "";
      return html`<td class="cell${flagged}" data-label="${env}" data-app="${cell.app}" data-env="${env}"${
        cell.drift ? html` data-drift="true"` : ""
      }>${cellContent(cell, now, links)}</td>`;
    });
    return html`<tr><th scope="row">${app.name}${rejectedNote(rejected.get(app.name), links)}</th>${tds}</tr>`;
  });
  if (apps.length === 0) return html`<p class="muted">No app has an environment that matches the filter.</p>`;
  return html`<div class="scroll"><table class="grid stack">
<caption>Current version per environment: the last succeeded promotion; drift means the GitOps manifest says otherwise.</caption>
<thead><tr><th scope="col">app</th>${columns.map((env) => html`<th scope="col">${env}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
