import { html } from "hono/html";
import type { BoardApp, BoardCell } from "../../store/queries/index.ts";
import { timeElement } from "./format.ts";

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

function cellContent(cell: BoardCell, now: number) {
  const { current } = cell;
  const version = current
    ? html`<span class="version">${current.toVersion}</span>${
        cell.tagState === "ok" ? "" : html` <span class="flag tag">tag ${cell.tagState}</span>`
      }
<p class="muted">by ${current.actor} · ${timeElement(current.finishedAt ?? current.updatedAt, now, "age")}</p>`
    : html`<span class="muted">not promoted yet</span>`;
  const pending = cell.pending.map(
    (p) =>
      html`<p><span class="flag pending">${p.status}</span> → <code>${p.toVersion}</code> by ${p.actor}</p>`,
  );
  return html`${version}${cell.drift ? driftNote(cell.drift, now) : ""}${pending}`;
}

/** The environments x apps table: one row per app, one column per environment, the current version in each cell. */
export function renderGrid(apps: readonly BoardApp[], board: BoardCell[][], now: number) {
  const columns = environmentColumns(apps);
  const rows = apps.map((app, i) => {
    const cells = new Map(board[i]!.map((cell) => [cell.env, cell]));
    const tds = columns.map((env) => {
      const cell = cells.get(env);
      if (!cell) return html`<td class="muted">not in chain</td>`;
      return html`<td class="cell${cell.drift ? " drift" : ""}" data-app="${cell.app}" data-env="${env}"${
        cell.drift ? html` data-drift="true"` : ""
      }>${cellContent(cell, now)}</td>`;
    });
    return html`<tr><th scope="row">${app.name}</th>${tds}</tr>`;
  });
  if (apps.length === 0) return html`<p class="muted">No apps are configured.</p>`;
  return html`<div class="scroll"><table class="grid">
<caption>Current version per environment: the last succeeded promotion; drift means the GitOps manifest says otherwise.</caption>
<thead><tr><th scope="col">app</th>${columns.map((env) => html`<th scope="col">${env}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
