import { html } from "hono/html";
import { promotionStatuses } from "../../store/index.ts";
import type { BoardApp, PromotionStatus } from "../../store/queries/index.ts";
import { markup } from "./format.ts";
import { pageHead } from "./page-style.ts";
import { dashboardPath } from "./paths.ts";

/**
 * What the dashboard is narrowed to: one app and one environment (grid, approvals, DORA and timeline), one
 * promotion status (the timeline's: the grid always shows what runs where), and the DORA window in days.
 */
export interface DashboardFilter {
  app?: string;
  env?: string;
  status?: PromotionStatus;
  /** The DORA charts' and figures' window, the days before now; absent: the default. */
  window?: DoraWindowDays;
}

/** The DORA windows the dashboard offers (`?window=`): a closed set, so a query cannot ask for a year's walk. */
export const doraWindowDays = [7, 30, 90] as const;
export type DoraWindowDays = (typeof doraWindowDays)[number];
/** GET /api/v1/dora's default window, so the page and the API agree when neither is told otherwise. */
export const defaultDoraWindowDays: DoraWindowDays = 30;

/**
 * The filter from the query string, each value checked against what is configured (apps, their environments, the
 * promotion statuses): a closed set, so a query never reaches the database with a made-up name and the page never
 * echoes one back. An unknown value is a clear error naming the parameter, not a silently wider view.
 */
export function parseFilter(
  query: (name: string) => string | undefined,
  apps: readonly BoardApp[],
): { filter: DashboardFilter } | { problem: string } {
  const filter: DashboardFilter = {};
  const app = query("app");
  if (app) {
    if (!apps.some((a) => a.name === app)) return { problem: "app: not a configured app" };
    filter.app = app;
  }
  const env = query("env");
  if (env) {
    if (!apps.some((a) => a.environments.includes(env)))
      return { problem: "env: not a configured environment" };
    filter.env = env;
  }
  const status = query("status");
  if (status) {
    if (!(promotionStatuses as readonly string[]).includes(status)) {
      return { problem: `status: one of ${promotionStatuses.join(", ")}` };
    }
    filter.status = status as PromotionStatus;
  }
  const window = query("window");
  if (window) {
    const days = doraWindowDays.find((d) => String(d) === window);
    if (days === undefined) return { problem: `window: one of ${doraWindowDays.join(", ")} (days)` };
    filter.window = days;
  }
  return { filter };
}

/** The answer to a filter naming something not configured: what is wrong, and the way back to the whole board. */
export function renderFilterProblem(problem: string): string {
  return markup(html`<!doctype html>
<html lang="en">
${pageHead("relbot releases: bad filter")}
<body>
<header><h1>relbot releases</h1></header>
<main><p class="warn" id="filter-problem">Bad filter: ${problem}.</p><p><a href="${dashboardPath}">Show everything</a></p></main>
</body>
</html>
`);
}

/** The configured apps and environments narrowed by the filter; an app with none of the environment drops out. */
export function filteredApps(apps: readonly BoardApp[], filter: DashboardFilter): BoardApp[] {
  return apps
    .filter((a) => filter.app === undefined || a.name === filter.app)
    .map((a) => ({
      ...a,
      environments: a.environments.filter((e) => filter.env === undefined || e === filter.env),
    }))
    .filter((a) => a.environments.length > 0);
}

function select(name: string, label: string, values: readonly string[], chosen: string | undefined) {
  return html`<label>${label} <select name="${name}"><option value="">all</option>${values.map(
    (v) => html`<option value="${v}"${v === chosen ? html` selected` : ""}>${v}</option>`,
  )}</select></label>`;
}

/** The filter as a dashboard URL, with `change` applied (the DORA window links keep the other choices). */
export function filterHref(filter: DashboardFilter, change: Partial<DashboardFilter> = {}): string {
  const chosen = { ...filter, ...change };
  const query = new URLSearchParams();
  for (const name of ["app", "env", "status", "window"] as const) {
    const value = chosen[name];
    if (value !== undefined) query.set(name, String(value));
  }
  const search = query.toString();
  return search ? `${dashboardPath}?${search}` : dashboardPath;
}

/** A plain GET form: works without script, and the URL of a filtered view can be shared. */
export function renderFilterForm(apps: readonly BoardApp[], filter: DashboardFilter) {
  const envs = [...new Set(apps.flatMap((a) => a.environments))];
  const days = filter.window ?? defaultDoraWindowDays;
  return html`<form class="filters" method="get" action="${dashboardPath}">
${select(
  "app",
  "app",
  apps.map((a) => a.name),
  filter.app,
)}
${select("env", "environment", envs, filter.env)}
${select("status", "timeline status", promotionStatuses, filter.status)}
<label>DORA window <select name="window">${doraWindowDays.map(
    (d) => html`<option value="${d}"${d === days ? html` selected` : ""}>${d} days</option>`,
  )}</select></label>
<button type="submit">Filter</button>
${filter.app || filter.env || filter.status || filter.window ? html`<a href="${dashboardPath}">clear</a>` : ""}
</form>`;
}
