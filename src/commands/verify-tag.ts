// `relbot verify-tag <app> <tag> [--json]`: every release check on one tag, nothing recorded, nothing promoted.
import { existsSync } from "node:fs";
import pino from "pino";
import { loadConfig, type RelbotConfig } from "../config/index.ts";
import { resolveCommandTarget } from "../domain/command-targets.ts";
import { RelbotError } from "../errors.ts";
import { PermanentJobError } from "../jobs/index.ts";
import { createLogger } from "../log.ts";
import { checkReleaseSbom } from "../pipeline/release-sbom.ts";
import { localCheckWork } from "../release/check-work.ts";
import { type ReleaseCheckWork, type TagVerdict, verifyTag } from "../release/index.ts";
import type { SbomRecord } from "../sbom/index.ts";
import { openDatabase } from "../store/index.ts";
import { githubClientFromConfig } from "../wiring/github.ts";
import { sourceReposFromConfig } from "../wiring/pipeline.ts";
import { type CommandOutput, consoleOutput } from "./output.ts";

export interface VerifyTagCommand {
  app: string;
  tag: string;
  json: boolean;
  configFile?: string;
}

/** Exit code: 0 when the tag passes, 1 when it is rejected or cannot be checked. */
export async function runVerifyTag(
  command: VerifyTagCommand,
  env: NodeJS.ProcessEnv,
  io: CommandOutput = consoleOutput,
): Promise<number> {
  const loaded = loadConfig({ file: command.configFile, env });
  const { config, secrets } = loaded;
  // A typo in the app gets the near miss, as in chat and the API: "unknown app `ordr-svc`; did you mean ...?"
  const target = resolveCommandTarget(config, { app: command.app });
  if (!target.ok) {
    if (command.json)
      io.out(JSON.stringify({ ok: false, error: { code: target.code, message: target.message } }));
    else io.err(`relbot: ${target.message}`);
    return 1;
  }
  // Logs go to stderr so that --json output stays parseable; warnings (a moved tag) still show.
  const logger = createLogger({ level: loaded.settings.logLevel ?? "warn" }, pino.destination(2));
  // Read the release history when there is one (to detect a moved tag); never create a database just to look.
  const dbFile = config.database.path;
  const database = await openDatabase(existsSync(dbFile) ? dbFile : ":memory:");
  try {
    // In process: a one-shot command has no intake to keep responsive.
    const work = localCheckWork({
      config,
      sources: sourceReposFromConfig(config, secrets, logger),
      github: githubClientFromConfig(config, secrets, logger),
    });
    const checked = await verifyTag({ config, work, db: database.db, logger }, command.app, command.tag);
    const { verdict, sbom } = await withSbom(checked, config, work);
    if (command.json) io.out(JSON.stringify(jsonVerdict(verdict, sbom), null, 2));
    else printVerdict(verdict, sbom, io);
    return verdict.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof RelbotError)) throw error;
    if (command.json)
      io.out(JSON.stringify({ ok: false, error: { code: error.code, message: error.message } }, null, 2));
    else io.err(`relbot: ${error.message}`);
    return 1;
  } finally {
    database.close();
  }
}

/**
 * The SBOM check the release job runs, on a tag that passed everything else: its digest when there is
 * one, and a rejection reason when it is unusable or missing but required. Same code as the pipeline.
 */
async function withSbom(
  verdict: TagVerdict,
  config: RelbotConfig,
  work: ReleaseCheckWork,
): Promise<{ verdict: TagVerdict; sbom: SbomRecord | null }> {
  const app = config.apps[verdict.app];
  if (!verdict.ok || !verdict.commit || !app?.sbom) return { verdict, sbom: null };
  try {
    const check = await checkReleaseSbom({
      appName: verdict.app,
      app,
      tagName: verdict.tagName,
      commit: verdict.commit,
      work,
      hasGitHub: config.github !== undefined,
    });
    if (!check.failure) return { verdict, sbom: check.sbom };
    return { verdict: { ...verdict, ok: false, reasons: [...verdict.reasons, check.failure] }, sbom: null };
  } catch (error) {
    if (!(error instanceof PermanentJobError)) throw error;
    throw new RelbotError("config.sbom", error.message);
  }
}

/** The `--json` verdict shape documented in docs/release-checks.md. */
function jsonVerdict(v: TagVerdict, sbom: SbomRecord | null) {
  return {
    ok: v.ok,
    app: v.app,
    tag: v.tagName,
    version: v.version,
    module: v.module,
    tagObject: v.tagObject,
    commit: v.commit,
    signer: v.signer,
    tagger: v.tagger ? { ...v.tagger, time: new Date(v.tagger.time).toISOString() } : null,
    sbom: sbom && { digest: sbom.digest, format: sbom.format },
    alreadyVerified: v.alreadyVerified,
    reasons: v.reasons,
  };
}

function printVerdict(v: TagVerdict, sbom: SbomRecord | null, io: CommandOutput): void {
  io.out(
    `${v.app} ${v.tagName}: ${v.ok ? "passes every release check" : `rejected (${v.reasons.length} problem(s))`}`,
  );
  const row = (label: string, value: string | null | undefined) => {
    if (value) io.out(`  ${label.padEnd(11)} ${value}`);
  };
  row("version", v.version);
  row("module", v.module);
  row("tag object", v.tagObject);
  row("commit", v.commit);
  if (v.signer) row("signer", `${v.signer.identity} (${v.signer.format} ${v.signer.fingerprint})`);
  if (v.tagger)
    row("tagger", `${v.tagger.name} <${v.tagger.email}> ${new Date(v.tagger.time).toISOString()}`);
  if (sbom) row("sbom", `${sbom.digest} (${sbom.format})`);
  if (v.alreadyVerified) row("note", "this exact tag object is already recorded as verified");
  for (const reason of v.reasons) io.out(`  - ${reason.code}: ${reason.message}`);
}
