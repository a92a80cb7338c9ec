import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AuditKey } from "../../audit/index.ts";
import type { Clock } from "../../clock.ts";
import type { RelbotConfig } from "../../config/index.ts";
import type { ApprovalOutcome, ApprovalVote } from "../../promotion/approval.ts";
import type { Db } from "../../store/index.ts";
import { listPromotions, releaseBoard } from "../../store/queries/index.ts";
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
import { dashboardPath } from "./paths.ts";

export interface DashboardDeps {
  db: Db;
  /** The configured apps, in file order; environments in promotion-chain order. */
  apps: RelbotConfig["apps"];
  tokens: TokenRegistry;
  clock: Clock;
  /** The audit keys the chain badge verifies under (current first). */
  auditKeys?: readonly AuditKey[];
  /** config `server.openDashboardOnLoopback`: serve a browser on this machine without a token. */
  openOnLoopback: boolean;
  /** Protected environments: approve/reject buttons for a signed-in token with the promote scope. */
  decideApproval?(vote: ApprovalVote): Promise<ApprovalOutcome>;
}

/** How many promotions the timeline shows; the API pages through the rest. */
const timelineLength = 50;

/** GET /: the release dashboard, with its sign-in and sign-out routes. */
export function registerDashboard(app: RelbotApp, deps: DashboardDeps): void {
  const apps = Object.entries(deps.apps).map(([name, config]) => ({
    name,
    environments: config.environments.map((e) => e.name),
  }));
  const chain = new AuditChainStatus(deps.db, deps.clock, deps.auditKeys);
  registerDashboardSession(app, deps.tokens);
  const csrf = new DashboardCsrf();
  const decideApproval = deps.decideApproval;
  if (decideApproval) registerDashboardApprovals(app, { tokens: deps.tokens, csrf, decideApproval });

  app.get(
    dashboardPath,
    requireDashboardAccess(deps.tokens, { openOnLoopback: deps.openOnLoopback }),
    (c) => {
      const page = renderDashboard({
        apps,
        board: releaseBoard(deps.db, apps),
        timeline: listPromotions(deps.db, {}, { limit: timelineLength }).rows,
        chain: chain.current(),
        now: deps.clock.now(),
        signedIn: getCookie(c, sessionCookie) !== undefined,
        approvals: decideApproval ? pendingApprovals(c) : "",
      });
      c.header("Content-Security-Policy", dashboardPolicy);
      // Versions and actors are not secret from a read token holder, but they are from a shared browser cache.
      c.header("Cache-Control", "no-store");
      return c.html(page);
    },
  );

  /** Protected environments: what waits for approval; buttons only for a session that may approve. */
  function pendingApprovals(c: Context) {
    const pending = listPromotions(deps.db, { status: "awaiting-approval" }, { limit: timelineLength }).rows;
    const approver = approverSession(deps.tokens, getCookie(c, sessionCookie));
    return renderPendingApprovals(pending, approver ? csrf.tokenFor(approver.session) : undefined);
  }
}
