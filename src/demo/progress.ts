// Following relbot's background work through its API: a queued job to its end, a release to its verdict, an
// environment to a version. A failure relbot reports ends the wait at once with relbot's own reason; only a
// wait that sees no outcome at all runs into the timeout.
import type { JobAnswer, PromotionAnswer, RelbotApi, ReleaseAnswer } from "./api-client.ts";
import { waitFor } from "./poll.ts";

export class DemoStepError extends Error {
  override name = "DemoStepError";
}

export const timeoutMs = Number(process.env.RELBOT_DEMO_TIMEOUT_MS ?? 90_000);

export function waitForJob(api: RelbotApi, jobId: string): Promise<JobAnswer> {
  return waitFor<JobAnswer>(
    `job ${jobId}`,
    async () => {
      const job = await api.get<JobAnswer>(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
      if (job.status === "failed") {
        throw new DemoStepError(`job ${jobId} (${job.kind}) failed: ${job.lastError ?? "no error recorded"}`);
      }
      return job.status === "succeeded"
        ? { done: job }
        : { pending: `${job.kind} job ${job.status}, ${job.attempts} attempt(s)` };
    },
    { timeoutMs },
  );
}

/** The recorded release; a rejected one stops the demo with every reason relbot gave. */
export async function verifiedRelease(api: RelbotApi, app: string, version: string): Promise<ReleaseAnswer> {
  const release = await api.get<ReleaseAnswer>(
    `/api/v1/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(version)}`,
  );
  if (release.status !== "verified") {
    const reasons = release.reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
    throw new DemoStepError(`relbot rejected ${app} ${version}: ${reasons}`);
  }
  return release;
}

/** Waits until a promotion of `version` into `env` succeeded; a failed or denied one ends the wait. */
export function waitForDeployed(
  api: RelbotApi,
  app: string,
  env: string,
  version: string,
): Promise<PromotionAnswer> {
  const query = new URLSearchParams({ app, env, limit: "20" });
  return waitFor<PromotionAnswer>(
    `${app} ${version} in ${env}`,
    async () => {
      const page = await api.get<{ items: PromotionAnswer[] }>(`/api/v1/promotions?${query}`);
      const promotion = page.items.find((p) => p.toVersion === version);
      if (!promotion) return { pending: `no promotion of ${version} into ${env} yet` };
      if (promotion.status === "failed" || promotion.status === "denied") {
        throw new DemoStepError(
          `the promotion of ${app} ${version} into ${env} ${promotion.status}: ${promotion.error ?? "no reason recorded"}`,
        );
      }
      return promotion.status === "succeeded" || promotion.status === "noop"
        ? { done: promotion }
        : { pending: `promotion ${promotion.id} ${promotion.status}` };
    },
    { timeoutMs },
  );
}
