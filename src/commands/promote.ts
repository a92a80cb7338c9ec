// `relbot promote` and `relbot rollback`: a promotion asked for from a shell, judged by the same rules and
// recorded in the same database as chat and API requests (source `cli`). The command only records and queues;
// the running service's job worker applies it, and `--wait` follows the promotion until it has (and, with Argo CD,
// until Argo CD runs it healthy: follow-promotion.ts).
import { durationSchema } from "../config/schema.ts";
import { parseTagName } from "../domain/semver.ts";
import type { PromotionRequest } from "../promotion/request.ts";
import type { PromotionRow } from "../store/index.ts";
import { followPromotion } from "./follow-promotion.ts";
import { type OptionValues, UsageError } from "./options.ts";
import { type CommandOutput, consoleOutput } from "./output.ts";
import { withPromotionRequester } from "./requester-session.ts";
import { commandSpecs } from "./specs.ts";

/**
 * Runs `relbot promote ...` or `relbot rollback ...` on the parsed command line (options in specs.ts); returns the
 * exit code (0 queued, or done and healthy with --wait; 1 refused, failed, degraded or timed out). A usage mistake throws UsageError (exit 2).
 */
export async function runPromoteCommand(
  verb: "promote" | "rollback",
  command: { values: OptionValues; positionals: string[] },
  env: NodeJS.ProcessEnv,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const parsed = promotionFromCommand(verb, command.values, command.positionals);
  const session = { verb, configFile: parsed.configFile, actor: parsed.actor };
  return withPromotionRequester(session, env, output, async ({ loaded, db, promotions, actor }) => {
    const { config } = loaded;
    // For an app in a sub-directory the tag is "api/v2.0.0": take it as the version v2.0.0 it names.
    const app = Object.hasOwn(config.apps, parsed.request.app) ? config.apps[parsed.request.app] : undefined;
    if (parsed.request.version && app?.dir) {
      const tag = parseTagName(parsed.request.version, app.dir);
      if (tag) parsed.request.version = tag.version;
    }
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
    // With Argo CD the push is not the end: by default wait long enough for the watch's own verdict (timeout).
    const timeoutMs = parsed.timeoutMs ?? defaultWaitMs + (config.argocd?.timeout ?? 0);
    return followPromotion(db, p.id, {
      timeoutMs,
      watchesDeployments: config.argocd !== undefined,
      rollsBackOnDegraded: app?.environments.find((e) => e.name === p.env)?.onDegraded === "rollback",
      output,
    });
  });
}

/** How long --wait waits for the push when --timeout is not given (Argo CD's timeout is added when configured). */
const defaultWaitMs = 600_000;

interface ParsedPromote {
  /** The request without its actor, which needs the loaded settings (RELBOT_ACTOR). */
  request: Omit<PromotionRequest, "actor">;
  actor?: string;
  configFile?: string;
  wait: boolean;
  /** --timeout; absent: the default wait. */
  timeoutMs?: number;
}

function promotionFromCommand(
  verb: "promote" | "rollback",
  values: OptionValues,
  positionals: string[],
): ParsedPromote {
  const spec = commandSpecs[verb];
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const timeout = str("timeout") === undefined ? undefined : durationSchema.safeParse(str("timeout"));
  if (timeout && !timeout.success)
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
    ...(timeout ? { timeoutMs: timeout.data } : {}),
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
