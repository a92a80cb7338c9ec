// `relbot approve <id>` and `relbot reject <id> [--reason TEXT]`: four-eyes approvals from a shell, under the same
// rules as chat (`/release approve|reject`) and the API. The approver is --actor, else $RELBOT_ACTOR, else the OS
// user. A promotion this approval queued is applied by the running service's job worker.
import { formatApprovalResult } from "../chatops/replies.ts";
import { countedApprovers } from "../domain/approvals.ts";
import type { OptionValues } from "./options.ts";
import { type CommandOutput, consoleOutput } from "./output.ts";
import { withPromotionRequester } from "./requester-session.ts";

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
  const session = { verb, configFile: str("config"), actor: str("actor") };
  return withPromotionRequester(session, env, output, async ({ promotions, actor }) => {
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
  });
}
