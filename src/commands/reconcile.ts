// `relbot reconcile [--json]`: one reconcile pass now, from the command line, on the config's database. Tags it
// finds are queued as release jobs for the running service's worker, exactly as a webhook would queue them.
import path from "node:path";
import pino from "pino";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config/index.ts";
import { createLogger } from "../log.ts";
import type { ReconcileReport } from "../reconcile/reconciler.ts";
import { openDatabase } from "../store/index.ts";
import { followAuditEvents } from "../wiring/audit-followers.ts";
import { keyAuditChainFromConfig } from "../wiring/audit-keys.ts";
import { gitopsWriterFromConfig, sourceReposFromConfig } from "../wiring/pipeline.ts";
import { wireReconciler } from "../wiring/reconciler.ts";

export async function runReconcileCommand(
  options: { configFile?: string; json: boolean },
  env: NodeJS.ProcessEnv,
) {
  const loaded = loadConfig({ file: options.configFile, env });
  const { config, secrets } = loaded;
  // Logs on stderr, so stdout stays the report (or its JSON).
  const logger = createLogger({ level: loaded.settings.logLevel ?? "warn" }, pino.destination(2));
  const database = await openDatabase(config.database.path);
  try {
    // The events this command records join the service's audit chain: keyed with the same key.
    keyAuditChainFromConfig(database.db, loaded, systemClock.now());
    // Its events are followed too (channel notices, GitHub deployments): the running serve runs the queued jobs.
    followAuditEvents(database.db, loaded.config);
    const sources = sourceReposFromConfig(config, secrets, logger);
    // A clone of its own: the service's GitOps cache is locked in its process only.
    const writer = gitopsWriterFromConfig(config, secrets, logger, {
      cacheDir: path.join(path.resolve(config.gitops.cacheDir), "..", "gitops-cli"),
    });
    // The service's wiring; queued jobs wait for the running service's worker (its next poll).
    const reconciler = wireReconciler({
      config,
      db: database.db,
      clock: systemClock,
      logger,
      sources,
      writer,
    });
    const report = await reconciler.runOnce();
    console.log(options.json ? JSON.stringify(report, null, 2) : describeReport(report));
    return reconcileExitCode(report);
  } finally {
    database.close();
  }
}

/**
 * 1 when the pass could not look everywhere, 3 when it found something a person must look at (a moved or deleted
 * tag, an environment that drifted from what relbot promoted), else 0: scripts and cron can tell them apart.
 */
export function reconcileExitCode(report: ReconcileReport): 0 | 1 | 3 {
  if (report.failed.length > 0 || report.driftError) return 1;
  return report.moved.length + report.deleted.length + report.drift.length > 0 ? 3 : 0;
}

export function describeReport(report: ReconcileReport): string {
  const lines = [`${report.repositories} repositories listed`];
  for (const q of report.queued)
    lines.push(`queued ${q.app} ${q.tagName} (${q.tagObject.slice(0, 12)}) as ${q.jobId}`);
  for (const m of report.moved)
    lines.push(
      `MOVED ${m.app} ${m.version}: was ${m.was.slice(0, 12)}, now ${m.now.slice(0, 12)}${m.pinJobId ? `; environments running it are pinned by ${m.pinJobId}` : ""}`,
    );
  for (const d of report.deleted) lines.push(`DELETED ${d.app} ${d.version} (was ${d.was.slice(0, 12)})`);
  for (const r of report.restored) lines.push(`restored ${r.app} ${r.version}`);
  for (const d of report.drift) {
    lines.push(
      `drift ${d.app} ${d.env}: manifest says ${d.actual ?? "nothing"}, relbot last promoted ${d.expected}`,
    );
  }
  for (const f of report.failed)
    lines.push(`FAILED ${f.repo}: ${f.error} (next try in ${Math.round(f.retryInMs / 1000)} s)`);
  if (report.driftError) lines.push(`FAILED drift check: ${report.driftError}`);
  if (lines.length === 1) lines.push("nothing new");
  return lines.join("\n");
}
