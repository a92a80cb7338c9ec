import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AuditKey } from "../../audit/index.ts";
import type { Clock } from "../../clock.ts";
import type { RelbotConfig } from "../../config/index.ts";
import { doraReport } from "../../domain/dora.ts";
import { repoLinks } from "../../domain/repo-links.ts";
import { promotionJobKey, releaseJobKey } from "../../jobs/index.ts";
import type { ApprovalOutcome, ApprovalVote } from "../../promotion/approval.ts";
import type { Db, PromotionRow, ReleaseRow } from "../../store/index.ts";
import {
  doraPromotions,
  latestRejectedReleases,
  listPromotions,
  promotionsOfVersion,
  releaseBoard,
  releaseRecords,
  traceContextsByJobKey,
} from "../../store/queries/index.ts";
import { doraWindow } from "../api/dora.ts";
import type { RelbotApp } from "../app.ts";
import type { TokenRegistry } from "../auth.ts";
import { registerDashboardSession, requireDashboardAccess, sessionCookie } from "./access.ts";
import {
  approverSession,
  DashboardCsrf,
  registerDashboardApprovals,
  renderPendingApprovals,
} from "./approvals.ts";
import { AuditChainStatus } from "./chain-status.ts";
import { dashboardPolicy, renderDashboard } from "./dashboard-page.ts";
import {
  type DashboardFilter,
  defaultDoraWindowDays,
  filteredApps,
  parseFilter,
  renderFilterProblem,
} from "./filters.ts";
import type { DashboardLinks } from "./links.ts";
import { pagePolicy } from "./page-style.ts";
import { dashboardPath, releaseRoute } from "./paths.ts";
import { releasePagePolicy, renderReleaseNotFound, renderReleasePage } from "./release-page.ts";
import { traceIdOf } from "./trace-id.ts";

export interface DashboardDeps {
  db: Db;
  /** The configured apps, in file order; environments in promotion-chain order. */
  apps: RelbotConfig["apps"];
  tokens: TokenRegistry;
  clock: Clock;
  /** The audit keys the chain badge verifies under (current first). */
  auditKeys?: readonly AuditKey[];
  /** The GitOps repository's URL, for links to relbot's commits (none when its host's web UI is unknown). */
  gitopsUrl?: string;
  /** config `server.openDashboardOnLoopback`: serve a browser on this machine without a token. */
  openOnLoopback: boolean;
  /** Protected environments: approve/reject buttons for a signed-in token with the promote scope. */
  decideApproval?(vote: ApprovalVote): Promise<ApprovalOutcome>;
}

const filterProblemPolicy = pagePolicy();
const dayMs = 86_400_000;

/** How many promotions the timeline shows; the API pages through the rest. */
const timelineLength = 50;

/** GET /: the release dashboard, with its sign-in and sign-out routes. */
export function registerDashboard(app: RelbotApp, deps: DashboardDeps): void {
  const apps = Object.entries(deps.apps).map(([name, config]) => ({
    name,
    environments: config.environments.map((e) => e.name),
  }));
  const chain = new AuditChainStatus(deps.db, deps.clock, deps.auditKeys);
  // Resolved once: the config does not change while relbot runs.
  const appLinks = new Map(Object.entries(deps.apps).map(([name, config]) => [name, repoLinks(config.repo)]));
  const links: DashboardLinks = {
    app: (name) => appLinks.get(name),
    gitops: deps.gitopsUrl === undefined ? undefined : repoLinks(deps.gitopsUrl),
  };
  const access = requireDashboardAccess(deps.tokens, { openOnLoopback: deps.openOnLoopback });
  registerDashboardSession(app, deps.tokens);
  const csrf = new DashboardCsrf();
  const decideApproval = deps.decideApproval;
  if (decideApproval) registerDashboardApprovals(app, { tokens: deps.tokens, csrf, decideApproval });

  app.get(dashboardPath, access, (c) => {
    const now = deps.clock.now();
    const parsed = parseFilter((name) => c.req.query(name), apps);
    if ("problem" in parsed) {
      c.header("Content-Security-Policy", filterProblemPolicy);
      return c.html(renderFilterProblem(parsed.problem), 400);
    }
    const { filter } = parsed;
    const shown = filteredApps(apps, filter);
    // The window GET /api/v1/dora?since=<now - N days>&until=<now> reads, through the same computation, so the
    // charts and the API agree (N = 30 is also the API's default).
    const days = filter.window ?? defaultDoraWindowDays;
    const window = doraWindow({ since: now - days * dayMs, until: now }, now);
    const records = doraPromotions(deps.db, {
      ...window,
      ...(filter.app === undefined ? {} : { app: filter.app }),
      ...(filter.env === undefined ? {} : { env: filter.env }),
    });
    const page = renderDashboard({
      allApps: apps,
      apps: shown,
      filter,
      board: releaseBoard(deps.db, shown),
      rejected: new Map(
        latestRejectedReleases(
          deps.db,
          shown.map((a) => a.name),
        ).map((r) => [r.app, r]),
      ),
      dora: doraReport(records, window),
      links,
      timeline: listPromotions(deps.db, filter, { limit: timelineLength }).rows,
      chain: chain.current(),
      now,
      signedIn: getCookie(c, sessionCookie) !== undefined,
      approvals: decideApproval ? pendingApprovals(c, filter) : "",
    });
    c.header("Content-Security-Policy", dashboardPolicy);
    // Versions and actors are not secret from a read token holder, but they are from a shared browser cache.
    c.header("Cache-Control", "no-store");
    return c.html(page);
  });

  app.get(releaseRoute, access, (c) => {
    const { app: appName, version } = c.req.param();
    c.header("Content-Security-Policy", releasePagePolicy);
    c.header("Cache-Control", "no-store");
    // Only configured apps: the name goes into no query and onto no page unless relbot knows it.
    if (!Object.hasOwn(deps.apps, appName))
      return c.html(renderReleaseNotFound("No such app is configured."), 404);
    const records = releaseRecords(deps.db, appName, version);
    const promotions = promotionsOfVersion(deps.db, appName, version);
    if (records.length === 0 && promotions.length === 0) {
      return c.html(renderReleaseNotFound(`relbot has no record of this version of ${appName}.`), 404);
    }
    const page = renderReleasePage({
      app: appName,
      version,
      records,
      promotions,
      ...traceIds(appName, records, promotions),
      links,
      now: deps.clock.now(),
    });
    return c.html(page);
  });

  /** The trace each release check and promotion ran in, from the trace context stored with its job. */
  function traceIds(appName: string, records: readonly ReleaseRow[], promotions: readonly PromotionRow[]) {
    // A webhook that did not name the tag object queued the check under "?": look under both keys.
    const releaseKeys = records.map((r) => ({
      object: r.tagObject,
      keys: [releaseJobKey(appName, r.tagName, r.tagObject), releaseJobKey(appName, r.tagName, undefined)],
    }));
    const promotionKeys = promotions.map((p) => ({ id: p.id, key: promotionJobKey(p.id) }));
    const stored = traceContextsByJobKey(deps.db, [
      ...releaseKeys.flatMap((r) => r.keys),
      ...promotionKeys.map((p) => p.key),
    ]);
    const releaseTraces = new Map<string, string>();
    for (const { object, keys } of releaseKeys) {
      const id = keys.map((key) => traceIdOf(stored.get(key))).find((found) => found !== undefined);
      if (id) releaseTraces.set(object, id);
    }
    const promotionTraces = new Map<string, string>();
    for (const { id, key } of promotionKeys) {
      const traceId = traceIdOf(stored.get(key));
      if (traceId) promotionTraces.set(id, traceId);
    }
    return { releaseTraces, promotionTraces };
  }

  /**
   * Protected environments: what waits for approval in the filter's app and environment, and how many wait
   * outside them; buttons only for a session that may approve.
   */
  function pendingApprovals(c: Context, filter: DashboardFilter) {
    const waiting = { status: "awaiting-approval" as const };
    const pending = listPromotions(
      deps.db,
      {
        ...waiting,
        ...(filter.app === undefined ? {} : { app: filter.app }),
        ...(filter.env === undefined ? {} : { env: filter.env }),
      },
      { limit: timelineLength },
    ).rows;
    const narrowed = filter.app !== undefined || filter.env !== undefined;
    // Counted up to a bound, like the list: past it the page says "more" rather than walking every row.
    const all = narrowed ? listPromotions(deps.db, waiting, { limit: timelineLength }) : undefined;
    const elsewhere =
      all === undefined ? 0 : all.next ? ("more" as const) : Math.max(0, all.rows.length - pending.length);
    const approver = approverSession(deps.tokens, getCookie(c, sessionCookie));
    return renderPendingApprovals(
      { pending, elsewhere, filter },
      approver ? csrf.tokenFor(approver.session) : undefined,
    );
  }
}
