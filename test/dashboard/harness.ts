// A real relbot for the dashboard tests (random port, real SQLite file) and helpers to seed what the dashboard shows.
import type { Clock } from "../../src/clock.ts";
import { newId } from "../../src/ids.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { environmentDrift, jobs } from "../../src/store/index.ts";
import { offlineApp, startLoggedRelbot } from "../support/logged-relbot.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

export const dashboardTokens = {
  viewer: "viewer-secret-5d1e77",
  pusher: "pusher-secret-a90c41",
} as const;

export interface DashboardRelbot {
  relbot: RunningRelbot;
  logText(): string;
  stop(): Promise<void>;
}

/**
 * `hostname` 0.0.0.0 lets a test reach it through a non-loopback interface as well. `openOnLoopback` is the
 * config's `server.openDashboardOnLoopback` (on here, as in the demo; off is the default of a real config).
 */
export async function startDashboardRelbot(
  options: {
    hostname?: string;
    openOnLoopback?: boolean;
    /** Source repository URLs per app (default: unreachable local ones, which get no links). */
    repos?: Record<string, string>;
    /** The GitOps repository's URL (default: an unreachable local one, which gets no links). */
    gitopsUrl?: string;
    clock?: Clock;
  } = {},
): Promise<DashboardRelbot> {
  const file = writeTestConfig({
    gitopsUrl: options.gitopsUrl ?? "http://127.0.0.1:9/gitops.git",
    signers: { team: { ssh: "allowed_signers" } },
    files: { allowed_signers: "" },
    apps: {
      "order-svc": withRepo(
        offlineApp("order-svc", [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml" },
          { name: "prod", file: "envs/prod/order-svc.yaml" },
        ]),
        options.repos?.["order-svc"],
      ),
      "billing-svc": withRepo(
        offlineApp("billing-svc", [
          { name: "dev", file: "envs/dev/billing-svc.yaml" },
          { name: "prod", file: "envs/prod/billing-svc.yaml" },
        ]),
        options.repos?.["billing-svc"],
      ),
    },
    extra: {
      server: { port: 0, openDashboardOnLoopback: options.openOnLoopback ?? true },
      // The reconciler would try to reach the (absent) repositories; the dashboard tests seed drift themselves.
      reconcile: { interval: 0 },
      api: {
        tokens: [
          { name: "viewer", tokenEnv: "TEST_VIEWER_TOKEN", scopes: ["read"] },
          { name: "pusher", tokenEnv: "TEST_PUSHER_TOKEN", scopes: ["promote"] },
        ],
      },
    },
  });
  const { relbot, logText } = await startLoggedRelbot({
    configFile: file,
    env: { TEST_VIEWER_TOKEN: dashboardTokens.viewer, TEST_PUSHER_TOKEN: dashboardTokens.pusher },
    hostname: options.hostname,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { relbot, logText, stop: () => relbot.stop() };
}

const withRepo = <T extends { repo: string }>(app: T, repo: string | undefined): T =>
  repo === undefined ? app : { ...app, repo };

/** What the reconciler records when a manifest no longer says what relbot promoted. */
export function insertDrift(
  relbot: RunningRelbot,
  row: { app: string; env: string; expected: string | null; actual: string | null; detectedAt: number },
) {
  relbot.database.db.insert(environmentDrift).values(row).run();
}

/** A finished job as the queue stores it, with the W3C trace context it was queued under (the release page shows it). */
export function insertTracedJob(
  relbot: RunningRelbot,
  job: { kind: string; dedupKey: string; traceparent: string; at: number },
) {
  relbot.database.db
    .insert(jobs)
    .values({
      id: newId("job", job.at),
      kind: job.kind,
      dedupKey: job.dedupKey,
      payload: {},
      status: "succeeded",
      runAt: job.at,
      traceContext: JSON.stringify({ traceparent: job.traceparent }),
      createdAt: job.at,
      updatedAt: job.at,
    })
    .run();
}
