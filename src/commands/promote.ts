// `relbot promote` and `relbot rollback`: a promotion asked for from a shell, judged by the same rules and
// recorded in the same database as chat and API requests (source `cli`). The command only records and queues;
// the running service's job worker applies it, and `--wait` follows the promotion until it has.
import { userInfo } from "node:os";
import { formatPromotionResult } from "../chatops/replies.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config/index.ts";
import { durationSchema } from "../config/schema.ts";
import { parseTagName } from "../domain/semver.ts";
import { RelbotError } from "../errors.ts";
import { silentLogger } from "../log.ts";
import type { PromotionRequest } from "../promotion/request.ts";
import { type Db, openDatabase, type PromotionRow } from "../store/index.ts";
import { getPromotion } from "../store/queries/index.ts";
import { keyAuditChainFromConfig } from "../wiring/audit-keys.ts";
import { githubClientFromConfig } from "../wiring/github.ts";
import { followAuditForNotifications } from "../wiring/notifications.ts";
import { createPromotionRequester } from "../wiring/promotions.ts";
import { type OptionValues, UsageError } from "./options.ts";
import { type CommandOutput, consoleOutput } from "./output.ts";
import { commandSpecs } from "./specs.ts";

/**
 * Runs `relbot promote ...` or `relbot rollback ...` on the parsed command line (options in specs.ts); returns the
 * exit code (0 queued or done, 1 refused or failed). A usage mistake throws UsageError (exit 2).
 */
export async function runPromoteCommand(
  verb: "promote" | "rollback",
  command: { values: OptionValues; positionals: string[] },
  env: NodeJS.ProcessEnv,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const parsed = promotionFromCommand(verb, command.values, command.positionals);
  const loaded = loadConfig({ file: parsed.configFile, env });
  const { config } = loaded;
  // For an app in a sub-directory the tag is "api/v2.0.0": take it as the version v2.0.0 it names.
  const dir = Object.hasOwn(config.apps, parsed.request.app) ? config.apps[parsed.request.app]!.dir : "";
  if (parsed.request.version && dir) {
    const tag = parseTagName(parsed.request.version, dir);
    if (tag) parsed.request.version = tag.version;
  }
  // Who asked is recorded and checked against approvers; the OS user is the honest default on a shell.
  const actor = parsed.actor ?? loaded.settings.actor ?? userInfo().username;
  const database = await openDatabase(config.database.path);
  try {
    // The events this command records join the service's audit chain: keyed with the same key.
    keyAuditChainFromConfig(database.db, loaded, systemClock.now());
    // Its events are told to the channels too: the running serve sends the queued notices.
    followAuditForNotifications(database.db, loaded.config);
    // The service's requester; the running service's worker picks the job up at its next poll.
    const promotions = createPromotionRequester({
      db: database.db,
      config,
      clock: systemClock,
      github: githubClientFromConfig(config, loaded.secrets, silentLogger),
    });
    const outcome = await promotions.request({ ...parsed.request, actor });
    const p = outcome.promotion;
    if (outcome.status === "denied") {
      output.err(`relbot: refused ${describe(p)}: ${outcome.reason} [${outcome.code}] (${p.id})`);
      return 1;
    }
    const from = p.fromVersion ? ` (from ${p.fromVersion})` : "";
    if (outcome.status === "awaiting-approval") {
      // Protected environments: nothing is queued until others approve, so there is nothing to --wait for yet.
      output.out(
        `awaiting approval ${p.id}: ${describe(p)}${from} needs ${outcome.required} approval(s) from ${outcome.approvers.join(", ") || "any other person"}; approve with \`relbot approve ${p.id}\``,
      );
      return 0;
    }
    output.out(`queued ${p.id}: ${describe(p)}${from}, job ${outcome.jobId}`);
    if (!parsed.wait) {
      output.out("The running relbot service applies it; add --wait to follow it here.");
      return 0;
    }
    return await waitForPromotion(database.db, p.id, parsed.timeoutMs, output);
  } catch (error) {
    if (error instanceof RelbotError) {
      output.err(`relbot ${verb}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    database.close();
  }
}

interface ParsedPromote {
  /** The request without its actor, which needs the loaded settings (RELBOT_ACTOR). */
  request: Omit<PromotionRequest, "actor">;
  actor?: string;
  configFile?: string;
  wait: boolean;
  timeoutMs: number;
}

function promotionFromCommand(
  verb: "promote" | "rollback",
  values: OptionValues,
  positionals: string[],
): ParsedPromote {
  const spec = commandSpecs[verb];
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const timeout = durationSchema.safeParse(str("timeout") ?? "10m");
  if (!timeout.success)
    throw new UsageError(`--timeout "${str("timeout")}" is not a duration like 60s or 10m`, spec);
  const common = {
    source: "cli" as const,
    ...(str("reason") ? { reason: str("reason")! } : {}),
  };
  let request: Omit<PromotionRequest, "actor">;
  if (verb === "promote") {
    const [app, version] = positionals as [string, string];
    const target = str("to");
    if (!target) throw new UsageError("needs --to <env>: the environment to promote into", spec);
    request = { ...common, kind: "promote", app, version: goVersion(version), env: target };
  } else {
    const [app] = positionals as [string];
    const target = str("env");
    if (!target) throw new UsageError("needs --env <env>: the environment to roll back", spec);
    const version = str("to");
    request = {
      ...common,
      kind: "rollback",
      app,
      env: target,
      ...(version ? { version: goVersion(version) } : {}),
    };
  }
  return {
    request,
    actor: str("actor"),
    configFile: str("config"),
    wait: values.wait === true,
    timeoutMs: timeout.data,
  };
}

/** As in chat: `1.4.0` plainly means `v1.4.0`. */
function goVersion(word: string): string {
  return /^\d/.test(word) ? `v${word}` : word;
}

function describe(p: PromotionRow): string {
  return p.kind === "rollback"
    ? `rollback of ${p.app} in ${p.env} to ${p.toVersion || "the previous version"}`
    : `promotion of ${p.app} ${p.toVersion} to ${p.env}`;
}

/** Polls the promotion row (the worker may run in another process) until it leaves queued/running or time runs out. */
async function waitForPromotion(
  db: Db,
  id: string,
  timeoutMs: number,
  output: CommandOutput,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = getPromotion(db, id);
    if (row && row.status !== "queued" && row.status !== "running") {
      const text = formatPromotionResult(row);
      // pr-open: the pull request is open (via: pull-request); merging it is the reviewers' step, not this wait's.
      if (row.status === "succeeded" || row.status === "noop" || row.status === "pr-open") {
        output.out(text);
        return 0;
      }
      output.err(text);
      return 1;
    }
    if (Date.now() >= deadline) {
      output.err(
        `relbot: ${id} is still ${row?.status ?? "missing"} after ${Math.round(timeoutMs / 1000)}s; ` +
          "the relbot service applies it when its worker runs (is `relbot serve` running on this database?)",
      );
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
