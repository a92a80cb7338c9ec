// The service's map: every route relbot answers, mounted here and nowhere else. Wiring (src/wiring) builds
// handlers and deps; this file decides method, path and who may call. /openapi.json is generated from the
// zod routes mounted here, so the document follows this table.
//
// To add a route: write its handler (or a `register...Routes(app, deps)` for zod-openapi routes, whose
// definition carries the path) next to its kind below, add its deps to RouteDeps, and add one line here.
// test/http/routes.test.ts lists every method and path: add yours there too.
//
// The zod-openapi definitions in src/http/api/ each spell out their security, scope middleware and error
// responses, which reads as repetition: it stays, because each createRoute literal is what types its handler's
// params and answers, and what /openapi.json shows for that route.
import type { Handler } from "hono";
import type { AuditKey } from "../audit/index.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import type { ReconcileReport } from "../reconcile/reconciler.ts";
import type { Db } from "../store/index.ts";
import { type ApprovalRouteDeps, registerApprovalRoutes } from "./api/approve.ts";
import {
  type PromoteRouteDeps,
  type ReadApiDeps,
  registerAppRoutes,
  registerAuditRoutes,
  registerDoraRoutes,
  registerJobRoutes,
  registerPromoteRoute,
  registerPromotionRoutes,
  registerReconcileRoute,
  registerReleaseRoutes,
} from "./api/index.ts";
import type { RelbotApp } from "./app.ts";
import { createRequireScope, type TokenRegistry } from "./auth.ts";
import { registerDashboard } from "./dashboard/index.ts";
import { type GitHubWebhookDeps, githubWebhookHandler } from "./github-webhook.ts";
import { metricsHandler } from "./metrics-route.ts";
import { describeApiComponents, docsPageHandler, openApiDocument } from "./openapi.ts";
import { healthz, type ReadinessCheck, readyz } from "./probes.ts";

export interface RouteDeps {
  db: Db;
  logger: Logger;
  apps: RelbotConfig["apps"];
  clock: Clock;
  /** API tokens, read once at start-up; routes see the registry, never the secrets' variables. */
  tokens: TokenRegistry;
  /** relbot's version, for /openapi.json. */
  version: string;
  /** Each must pass for /readyz to answer 200. */
  readiness: ReadinessCheck[];
  metrics: Parameters<typeof metricsHandler>[0];
  githubWebhook: GitHubWebhookDeps;
  /** Present when the config has a slack section. */
  slackCommand?: Handler;
  /** Present when the config has an argocd section (the deployment watch runs). */
  argocdWebhook?: Handler;
  requestPromotion: PromoteRouteDeps["requestPromotion"];
  decideApproval: ApprovalRouteDeps["decideApproval"];
  /** Present when the release pipeline runs (the reconciler needs its caches). */
  reconcile?: () => Promise<ReconcileReport>;
  /** Keys that verify the audit chain, the current one first. */
  auditKeys: readonly AuditKey[];
  /** The audit heads anchored in GitOps commits (present when the pipeline runs). */
  auditAnchors?: ReadApiDeps["auditAnchors"];
  /** server.openDashboardOnLoopback: the dashboard without a token for requests from this machine. */
  openDashboardOnLoopback: boolean;
  /** gitops.url: the dashboard links relbot's commits into its web UI (GitHub and GitLab hosts). */
  gitopsUrl?: string;
}

export function registerRoutes(app: RelbotApp, deps: RouteDeps): void {
  const requireScope = createRequireScope(deps.tokens);
  const read: ReadApiDeps = {
    db: deps.db,
    apps: deps.apps,
    requireScope,
    clock: deps.clock,
    auditKeys: deps.auditKeys,
    ...(deps.auditAnchors ? { auditAnchors: deps.auditAnchors } : {}),
  };

  // Probes and metrics: open; nothing in them is secret.
  app.get("/healthz", healthz);
  app.get("/readyz", readyz(deps.readiness, deps.logger));
  app.get("/metrics", metricsHandler(deps.metrics));

  // Intake: the sender proves itself by signature over the raw body, not by token.
  app.post("/webhooks/github", githubWebhookHandler(deps.githubWebhook));
  if (deps.slackCommand) app.post("/chatops/slack", deps.slackCommand);
  if (deps.argocdWebhook) app.post("/webhooks/argocd", deps.argocdWebhook);

  // API v1 (bearer token; the scope is in each route's definition).
  registerAppRoutes(app, read); //                GET  /api/v1/apps
  registerReleaseRoutes(app, read); //            GET  /api/v1/apps/{app}/releases, .../releases/{version}
  registerPromotionRoutes(app, read); //          GET  /api/v1/promotions
  registerPromoteRoute(app, { requireScope, requestPromotion: deps.requestPromotion }); // POST /api/v1/promotions
  registerApprovalRoutes(app, { requireScope, decideApproval: deps.decideApproval }); // POST .../{id}/approve|reject
  registerAuditRoutes(app, read); //              GET  /api/v1/audit/events, /api/v1/audit/verify
  registerJobRoutes(app, read); //                GET  /api/v1/jobs/{id}
  registerDoraRoutes(app, read); //               GET  /api/v1/dora
  const reconcile = deps.reconcile;
  if (reconcile) registerReconcileRoute(app, { requireScope, reconcile }); // POST /api/v1/reconcile

  // The API's description: open, it holds no data.
  describeApiComponents(app);
  app.doc31("/openapi.json", openApiDocument({ version: deps.version }));
  app.get("/docs", docsPageHandler);

  // Dashboard: GET / and GET /releases/{app}/{version} behind a read token (or loopback), POST /dashboard/sign-in
  // and /dashboard/sign-out for its session cookie, POST /dashboard/promotions/{id}/{approve|reject} for a
  // signed-in promote token.
  registerDashboard(app, {
    db: deps.db,
    apps: deps.apps,
    tokens: deps.tokens,
    clock: deps.clock,
    openOnLoopback: deps.openDashboardOnLoopback,
    auditKeys: deps.auditKeys,
    decideApproval: deps.decideApproval,
    ...(deps.gitopsUrl === undefined ? {} : { gitopsUrl: deps.gitopsUrl }),
  });
}
