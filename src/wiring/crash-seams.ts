// TEST SEAM, not a feature: RELBOT_CRASH_AT=before-push|after-push makes relbot SIGKILL itself at that moment of a
// GitOps promotion, so the crash-safety tests can kill it exactly "after pushing, before recording" and "before
// pushing". Parsed with the other settings in config/settings.ts, acted on only here; nothing else in relbot knows
// about it. Never set it in production.
import type { RelbotSettings } from "../config/index.ts";
import type { GitopsWriterHooks } from "../gitops/index.ts";
import type { Logger } from "../log.ts";

export function crashHooks(at: RelbotSettings["crashAt"], logger: Logger): GitopsWriterHooks | undefined {
  if (!at) return undefined;
  const die = (moment: string): Promise<void> => {
    logger.warn({ moment }, "RELBOT_CRASH_AT: killing relbot (test seam)");
    // SIGKILL, like the OOM killer or a node failure: no shutdown handler, no flush, no finally blocks.
    process.kill(process.pid, "SIGKILL");
    // Never resolves: nothing after the crash point may run while the signal lands.
    return new Promise<void>(() => {});
  };
  return at === "before-push" ? { beforePush: () => die(at) } : { afterPush: () => die(at) };
}
