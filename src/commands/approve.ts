// `relbot approve <id>` and `relbot reject <id> [--reason TEXT]`: four-eyes approvals from a shell, under the same
// rules as chat (`/release approve|reject`) and the API. The approver is --actor, else $RELBOT_ACTOR, else the OS
// user. A promotion this approval queued is applied by the running service's job worker.
import { userInfo } from "node:os";
import { formatApprovalResult } from "../chatops/replies.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config/index.ts";
import { countedApprovers } from "../domain/approvals.ts";
import { RelbotError } from "../errors.ts";
import { silentLogger } from "../log.ts";
import { openDatabase } from "../store/index.ts";
import { followAuditEvents } from "../wiring/audit-followers.ts";
import { keyAuditChainFromConfig } from "../wiring/audit-keys.ts";
import { githubClientFromConfig } from "../wiring/github.ts";
import { createPromotionRequester } from "../wiring/promotions.ts";
import type { OptionValues } from "./options.ts";
import { type CommandOutput, consoleOutput } from "./output.ts";

/** Exit 0 when the vote counted (or rejected), 1 when refused (own request, not an approver, not waiting). */
export async function runApproveCommand(
  verb: "approve" | "reject",
  command: { values: OptionValues; positionals: string[] },
  env: NodeJS.ProcessEnv,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const [id] = command.positionals as [string];
  const str = (name: string) =>
    typeof command.values[name] === "string" ? (command.values[name] as string) : undefined;
  const reason = str("reason");
  const loaded = loadConfig({ file: str("config"), env });
  const actor = str("actor") ?? loaded.settings.actor ?? userInfo().username;
  const database = await openDatabase(loaded.config.database.path);
  try {
    // The events this command records join the service's audit chain: keyed with the same key.
    keyAuditChainFromConfig(database.db, loaded, systemClock.now());
    // Its events are followed too (channel notices, GitHub deployments): the running serve runs the queued jobs.
    followAuditEvents(database.db, loaded.config);
    // The service's requester; a promotion this vote queued waits for the running service's worker.
    const promotions = createPromotionRequester({
      db: database.db,
      config: loaded.config,
      clock: systemClock,
      github: githubClientFromConfig(loaded.config, loaded.secrets, silentLogger),
    });
    const outcome = await promotions.decideApproval({
      promotionId: id,
      actor,
      decision: verb,
      source: "cli",
      ...(reason ? { reason } : {}),
    });
    const p = outcome.promotion;
    if (outcome.status === "already-counted") {
      output.err(`relbot: ${actor} already approved ${p.id}; each person counts once`);
      return 1;
    }
    const approvers = countedApprovers({ requester: p.actor, approvals: p.approvals ?? [] });
    const text = formatApprovalResult(p, approvers, "remaining" in outcome ? outcome.remaining : 0);
    if (outcome.status === "expired" || outcome.status === "denied") {
      output.err(text);
      return 1;
    }
    output.out(text);
    return 0;
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
