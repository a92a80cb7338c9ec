// `relbot promote` and `relbot rollback`: a promotion asked for from a shell, judged by the same rules and
// recorded in the same database as chat and API requests (source `cli`). The command only records and queues;
// the running service's job worker applies it, and `--wait` follows the promotion until it has.
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { formatPromotionResult } from "../chatops/replies.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config/index.ts";
import { durationSchema } from "../config/schema.ts";
import { RelbotError } from "../errors.ts";
import { enqueuePromotionJob } from "../jobs/index.ts";
import { silentLogger } from "../log.ts";
import { type PromotionRequest, requestPromotion } from "../promotion/request.ts";
import { type Db, openDatabase, type PromotionRow, promotions } from "../store/index.ts";
import { keyAuditChainFromConfig } from "../wiring/audit-keys.ts";
import { teamCheckFromConfig } from "../wiring/github.ts";

export const promoteUsage = `usage:
  relbot promote <app> <version> --to <env> [--reason TEXT] [--actor NAME] [--wait [--timeout 10m]] [--config FILE]
  relbot rollback <app> --env <env> [--to <version>] [--reason TEXT] [--actor NAME] [--wait [--timeout 10m]] [--config FILE]

The actor is --actor, else $RELBOT_ACTOR, else your OS user name; approvers are checked against it.
The running relbot service applies the promotion; --wait follows it until it succeeded or failed.`;

export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: CommandOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs `relbot promote ...` or `relbot rollback ...`; returns the exit code (0 queued or done, 1 refused or failed, 2 usage). */
export async function runPromoteCommand(
  verb: "promote" | "rollback",
  args: string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const parsed = parsePromoteArgs(verb, args);
  if ("usage" in parsed) {
    output.err(`relbot ${verb}: ${parsed.usage}\n\n${promoteUsage}`);
    return 2;
  }
  const loaded = loadConfig({ file: parsed.configFile, env });
  const { config } = loaded;
  // Who asked is recorded and checked against approvers; the OS user is the honest default on a shell.
  const actor = parsed.actor ?? loaded.settings.actor ?? userInfo().username;
  const database = await openDatabase(config.database.path);
  try {
    // The events this command records join the service's audit chain: keyed with the same key.
    keyAuditChainFromConfig(database.db, loaded, systemClock.now());
    const outcome = await requestPromotion(
      {
        db: database.db,
        config,
        clock: systemClock,
        isTeamMember: teamCheckFromConfig(config, loaded.secrets, systemClock, silentLogger),
        enqueue: enqueuePromotionJob,
      },
      { ...parsed.request, actor },
    );
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

type ParsedPromote =
  | {
      /** The request without its actor, which needs the loaded settings (RELBOT_ACTOR). */
      request: Omit<PromotionRequest, "actor">;
      actor?: string;
      configFile?: string;
      wait: boolean;
      timeoutMs: number;
    }
  | { usage: string };

function parsePromoteArgs(verb: "promote" | "rollback", args: string[]): ParsedPromote {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        to: { type: "string" },
        env: { type: "string" },
        reason: { type: "string" },
        actor: { type: "string" },
        wait: { type: "boolean" },
        timeout: { type: "string" },
        config: { type: "string" },
      },
    }));
  } catch (error) {
    return { usage: (error as Error).message };
  }
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const timeout = durationSchema.safeParse(str("timeout") ?? "10m");
  if (!timeout.success) return { usage: `--timeout: "${str("timeout")}" is not a duration like 60s or 10m` };
  const common = {
    source: "cli" as const,
    ...(str("reason") ? { reason: str("reason")! } : {}),
  };
  let request: Omit<PromotionRequest, "actor">;
  if (verb === "promote") {
    const [app, version, ...extra] = positionals;
    const target = str("to");
    if (!app || !version || !target || extra.length > 0)
      return { usage: "promote needs <app> <version> --to <env>" };
    request = { ...common, kind: "promote", app, version: goVersion(version), env: target };
  } else {
    const [app, ...extra] = positionals;
    const target = str("env");
    if (!app || !target || extra.length > 0) return { usage: "rollback needs <app> --env <env>" };
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
    const row = db.select().from(promotions).where(eq(promotions.id, id)).get();
    if (row && row.status !== "queued" && row.status !== "running") {
      const text = formatPromotionResult(row);
      if (row.status === "succeeded" || row.status === "noop") {
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
