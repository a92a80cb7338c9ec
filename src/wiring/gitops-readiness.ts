// /readyz's "gitops" check: the GitOps repository answers a ref advertisement with relbot's credential. Cached for
// a few seconds so a load balancer polling /readyz does not turn into a stream of requests to the Git host.
import { type GitCredential, probeRemote } from "../git/index.ts";
import type { ReadinessCheck } from "../http/probes.ts";

export function gitopsReadiness(options: {
  url: string;
  credential?: GitCredential;
  ttlMs?: number;
  now?: () => number;
}): ReadinessCheck {
  const ttlMs = options.ttlMs ?? 5_000;
  const now = options.now ?? Date.now;
  let last: { at: number; result: Promise<void> } | undefined;
  return {
    name: "gitops",
    failure: "unreachable",
    check() {
      if (!last || now() - last.at >= ttlMs) {
        // One probe shared by every caller while it runs and for ttlMs after; failures are cached the same way.
        const result = probeRemote(options.url, options.credential).catch((error: unknown) => {
          throw new Error(`GitOps repository unreachable: ${(error as Error).message}`);
        });
        result.catch(() => {});
        last = { at: now(), result };
      }
      return last.result;
    },
  };
}
