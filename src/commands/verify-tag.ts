// `relbot verify-tag <app> <tag> [--json]`: every release check on one tag, nothing recorded, nothing promoted.
import { existsSync } from "node:fs";
import pino from "pino";
import { loadConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { type TagVerdict, verifyTag } from "../release/index.ts";
import { openDatabase } from "../store/index.ts";
import { sourceReposFromConfig } from "../wiring/pipeline.ts";

export interface VerifyTagCommand {
  app: string;
  tag: string;
  json: boolean;
  configFile?: string;
}

export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const console_: CommandOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Exit code: 0 when the tag passes, 1 when it is rejected or cannot be checked. */
export async function runVerifyTag(
  command: VerifyTagCommand,
  env: NodeJS.ProcessEnv,
  io: CommandOutput = console_,
): Promise<number> {
  const { config } = loadConfig({ file: command.configFile, env });
  // Logs go to stderr so that --json output stays parseable; warnings (a moved tag) still show.
  const logger = pino(
    { level: env.RELBOT_LOG_LEVEL ?? "warn", base: { service: "relbot" } },
    pino.destination(2),
  );
  // Read the release history when there is one (to detect a moved tag); never create a database just to look.
  const dbFile = config.database.path;
  const database = await openDatabase(existsSync(dbFile) ? dbFile : ":memory:");
  try {
    const sources = sourceReposFromConfig(config, env, logger);
    const verdict = await verifyTag({ config, sources, db: database.db, logger }, command.app, command.tag);
    if (command.json) io.out(JSON.stringify(jsonVerdict(verdict), null, 2));
    else printVerdict(verdict, io);
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

/** The SPEC §1 shape. The SBOM check is not part of verify-tag yet, so `sbom` is null. */
function jsonVerdict(v: TagVerdict) {
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
    sbom: null,
    alreadyVerified: v.alreadyVerified,
    reasons: v.reasons,
  };
}

function printVerdict(v: TagVerdict, io: CommandOutput): void {
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
  if (v.alreadyVerified) row("note", "this exact tag object is already recorded as verified");
  for (const reason of v.reasons) io.out(`  - ${reason.code}: ${reason.message}`);
}
