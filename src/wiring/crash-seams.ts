// TEST SEAM, not a feature: RELBOT_CRASH_AT=before-push|after-push makes relbot SIGKILL itself at that moment of a
// GitOps promotion, so the crash-safety tests can kill it exactly "after pushing, before recording" and "before
// pushing". Read only here, by the wiring; nothing else in relbot knows about it. Never set it in production.
import type { GitopsWriterHooks } from "../gitops/index.ts";
import type { Logger } from "../log.ts";

export function crashHooksFromEnv(env: NodeJS.ProcessEnv, logger: Logger): GitopsWriterHooks | undefined {
  const at = env.RELBOT_CRASH_AT;
  if (!at) return undefined;
  const die = (moment: string): Promise<void> => {
    logger.warn({ moment }, "RELBOT_CRASH_AT: killing relbot (test seam)");
    // SIGKILL, like the OOM killer or a node failure: no shutdown handler, no flush, no finally blocks.
    process.kill(process.pid, "SIGKILL");
    // Never resolves: nothing after the crash point may run while the signal lands.
    return new Promise<void>(() => {});
  };
  if (at === "before-push") return { beforePush: () => die(at) };
  if (at === "after-push") return { afterPush: () => die(at) };
  throw new Error(`RELBOT_CRASH_AT must be before-push or after-push, not "${at}"`);
}
