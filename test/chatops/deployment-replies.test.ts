// What the requester reads when Argo CD has decided: the outcome, Argo CD's words, pushed -> healthy time.
import { describe, expect, test } from "bun:test";
import { formatDeploymentResult, formatDuration } from "../../src/chatops/deployment-replies.ts";
import type { PromotionRow } from "../../src/store/index.ts";

const pushedAt = Date.parse("2026-11-29T14:00:00Z");
const row = (fields: Partial<PromotionRow>) =>
  ({
    id: "prm_01jnq0000000000000000000aa",
    app: "order-svc",
    env: "staging",
    toVersion: "v1.4.0",
    finishedAt: pushedAt,
    deployedAt: null,
    deploymentMessage: null,
    deploymentState: null,
    ...fields,
  }) as PromotionRow;

describe("the deployment notice", () => {
  test("healthy, degraded and timeout each say what happened; no Argo CD says so", () => {
    expect(formatDeploymentResult(row({ deploymentState: "healthy", deployedAt: pushedAt + 185_000 }))).toBe(
      "order-svc v1.4.0 in staging is deployed and healthy, 3 min 5 s after the push. (prm_01jnq0000000000000000000aa)",
    );
    expect(
      formatDeploymentResult(
        row({ deploymentState: "degraded", deploymentMessage: "health Degraded: OOMKilled" }),
      ),
    ).toBe(
      "order-svc v1.4.0 in staging is degraded (Argo CD: health Degraded: OOMKilled). (prm_01jnq0000000000000000000aa)",
    );
    expect(
      formatDeploymentResult(
        row({
          deploymentState: "timeout",
          deploymentMessage: "Argo CD is at 5bd11b3eb412, not yet at 11eb13a5ca76",
        }),
      ),
    ).toBe(
      "order-svc v1.4.0 in staging did not turn healthy in time (Argo CD: Argo CD is at 5bd11b3eb412, not yet at 11eb13a5ca76). (prm_01jnq0000000000000000000aa)",
    );
    expect(formatDeploymentResult(row({}))).toContain("no deployment feedback (Argo CD is not configured)");
  });

  test("durations read as a person says them", () => {
    expect([42_000, 60_000, 185_400, 3_600_000, 3_720_000, -5].map(formatDuration)).toEqual([
      "42 s",
      "1 min",
      "3 min 5 s",
      "1 h",
      "1 h 2 min",
      "0 s",
    ]);
  });
});
