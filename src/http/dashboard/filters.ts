import { html } from "hono/html";
import { promotionStatuses } from "../../store/index.ts";
import type { BoardApp, PromotionStatus } from "../../store/queries/index.ts";
import { dashboardPath } from "./paths.ts";

/** What the dashboard is narrowed to: one app, one environment, one promotion status (the timeline's). */
export interface DashboardFilter {
  app?: string;
  env?: string;
  status?: PromotionStatus;
}

/**
 * The filter from the query string. Only configured apps, their environments and the known statuses are taken; any
 * other value is dropped (shown as "all"), so the page never echoes a made-up name back as a choice.
 */
export function parseFilter(
  query: (name: string) => string | undefined,
  apps: readonly BoardApp[],
): DashboardFilter {
  const filter: DashboardFilter = {};
  const app = query("app");
  if (app && apps.some((a) => a.name === app)) filter.app = app;
  const env = query("env");
  if (env && apps.some((a) => a.environments.includes(env))) filter.env = env;
  const status = query("status");
  if (status && (promotionStatuses as readonly string[]).includes(status))
    filter.status = status as PromotionStatus;
  return filter;
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

/** A plain GET form: works without script, and the URL of a filtered view can be shared. */
export function renderFilterForm(apps: readonly BoardApp[], filter: DashboardFilter) {
  const envs = [...new Set(apps.flatMap((a) => a.environments))];
  return html`<form class="filters" method="get" action="${dashboardPath}">
${select(
  "app",
  "app",
  apps.map((a) => a.name),
  filter.app,
)}
${select("env", "environment", envs, filter.env)}
${select("status", "status", promotionStatuses, filter.status)}
<button type="submit">Filter</button>
</form>`;
}
