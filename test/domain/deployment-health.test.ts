import { describe, expect, test } from "bun:test";
import {
  type ArgoApplicationView,
  lookAtDeployment,
  sourceSlotFor,
} from "../../src/domain/deployment-health.ts";
import { nextDeploymentStep } from "../../src/domain/deployment-watch.ts";

const repo = "https://github.com/acme/order-svc.git";
const release = "a".repeat(40);
const older = "b".repeat(40);
const chartRepo = "https://charts.example.com/acme";

type Status = NonNullable<ArgoApplicationView["status"]>;

function single(status: Status, repoURL = "git@github.com:acme/order-svc"): ArgoApplicationView {
  return { metadata: { name: "order-svc-dev", namespace: "argocd" }, spec: { source: { repoURL } }, status };
}

function multi(status: Status): ArgoApplicationView {
  return {
    metadata: { name: "order-svc-dev" },
    spec: { sources: [{ repoURL: chartRepo }, { repoURL: "HTTPS://GitHub.com/acme/order-svc/" }] },
    status,
  };
}

function hydrated(status: Status): ArgoApplicationView {
  return {
    metadata: { name: "order-svc-dev" },
    spec: {
      // GetSource prefers the hydrator even when sources are set too.
      sources: [{ repoURL: chartRepo }],
      sourceHydrator: { drySource: { repoURL: "https://github.com/acme/order-svc" } },
    },
    status,
  };
}

const synced = (revision: string) => ({ status: "Synced", revision });
const healthy = { status: "Healthy" };

describe("which revision belongs to the app's source", () => {
  test.each([
    ["single source", single({}), { kind: "source" }],
    ["sources[] by normalised repoURL", multi({}), { kind: "sources", index: 1 }],
    ["hydrator before sources", hydrated({}), { kind: "hydrator" }],
    ["another repository", single({}, "https://github.com/acme/other.git"), undefined],
  ] as const)("%s", (_, app, slot) => {
    expect(sourceSlotFor(app, repo)).toEqual(slot as never);
  });
});

describe("lookAtDeployment", () => {
  const cases: [string, ArgoApplicationView, string][] = [
    [
      "single source Synced + Healthy at the release",
      single({ sync: synced(release), health: healthy }),
      "healthy",
    ],
    [
      "operation Succeeded at the release",
      single({
        sync: synced(release),
        health: healthy,
        operationState: { phase: "Succeeded", syncResult: { revision: release } },
      }),
      "healthy",
    ],
    [
      "Synced + Healthy at an older revision is not the release",
      single({ sync: synced(older), health: healthy }),
      "pending",
    ],
    ["no revision reported yet", single({ sync: { status: "OutOfSync" } }), "pending"],
    [
      "at the release, still Progressing",
      single({ sync: synced(release), health: { status: "Progressing" } }),
      "progressing",
    ],
    [
      "OutOfSync at the release",
      single({ sync: { status: "OutOfSync", revision: release }, health: healthy }),
      "progressing",
    ],
    [
      "operation Running at the release",
      single({ sync: synced(release), health: healthy, operationState: { phase: "Running" } }),
      "progressing",
    ],
    [
      "Missing while the sync is still running is not a verdict yet",
      single({ sync: synced(release), health: { status: "Missing" }, operationState: { phase: "Running" } }),
      "progressing",
    ],
    [
      "health Degraded at the release",
      single({ sync: synced(release), health: { status: "Degraded", message: "CrashLoopBackOff" } }),
      "degraded",
    ],
    [
      "health Missing at the release",
      single({ sync: synced(release), health: { status: "Missing" } }),
      "degraded",
    ],
    [
      "operation Failed at the release",
      single({
        sync: { status: "OutOfSync", revision: release },
        health: healthy,
        operationState: {
          phase: "Failed",
          message: "one or more objects failed to apply",
          syncResult: { revision: release },
        },
      }),
      "degraded",
    ],
    [
      "operation Error whose revision is not stated counts as the release's",
      single({ sync: synced(release), health: healthy, operationState: { phase: "Error" } }),
      "degraded",
    ],
    [
      "a Failed operation of an older revision does not degrade the release",
      single({
        sync: synced(release),
        health: { status: "Progressing" },
        operationState: { phase: "Failed", syncResult: { revision: older } },
      }),
      "progressing",
    ],
    [
      "Degraded at an older revision is pending, not degraded",
      single({ sync: synced(older), health: { status: "Degraded" } }),
      "pending",
    ],
    [
      "sources[]: the app's revision sits at its index",
      multi({ sync: { status: "Synced", revisions: ["1.2.3", release] }, health: healthy }),
      "healthy",
    ],
    [
      "sources[]: the release at another index is not ours",
      multi({ sync: { status: "Synced", revisions: [release, older] }, health: healthy }),
      "pending",
    ],
    [
      "sources[]: sync.revision is not read for multi-source",
      multi({ sync: { status: "Synced", revision: release }, health: healthy }),
      "pending",
    ],
    [
      "sources[]: an operation failing at the release index",
      multi({
        sync: { status: "Synced", revisions: ["1.2.3", release] },
        health: healthy,
        operationState: { phase: "Failed", syncResult: { revisions: ["1.2.3", release] } },
      }),
      "degraded",
    ],
    [
      "hydrator: the dry SHA is the release",
      hydrated({
        sync: synced("c".repeat(40)),
        health: healthy,
        sourceHydrator: { lastSuccessfulOperation: { drySHA: release } },
      }),
      "healthy",
    ],
    [
      "hydrator: sync.revision equal to the release is not the dry SHA",
      hydrated({
        sync: synced(release),
        health: healthy,
        sourceHydrator: { lastSuccessfulOperation: { drySHA: older } },
      }),
      "pending",
    ],
    [
      "an Application reading another repository",
      single({ sync: synced(release) }, "https://github.com/x/y"),
      "no_source",
    ],
  ];
  test.each(cases)("%s -> %s", (_, app, verdict) => {
    expect(lookAtDeployment(app, repo, release).verdict).toBe(verdict as never);
  });

  test("messages carry Argo CD's own words", () => {
    const look = lookAtDeployment(
      single({
        sync: synced(release),
        health: { status: "Degraded", message: "Deployment exceeded its progress deadline" },
      }),
      repo,
      release,
    );
    expect(look.message).toBe("health Degraded: Deployment exceeded its progress deadline");
    expect(
      lookAtDeployment(single({ sync: synced(older), health: healthy }), repo, release).message,
    ).toContain(older.slice(0, 12));
  });

  test("the commit compares without regard to case", () => {
    expect(
      lookAtDeployment(single({ sync: synced(release.toUpperCase()), health: healthy }), repo, release)
        .verdict,
    ).toBe("healthy");
  });
});

describe("nextDeploymentStep", () => {
  const pushedAt = 1_000_000;
  const timeout = 600_000;
  const pending = { state: "pending" as const, pushedAt, revision: older };
  const look = (app: ArgoApplicationView) => ({
    kind: "look" as const,
    look: lookAtDeployment(app, repo, release),
  });

  test.each([
    [
      "older revision before the timeout stays pending",
      pending,
      look(single({ sync: synced(older), health: healthy })),
      pushedAt + 1000,
      "pending",
      false,
    ],
    [
      "older revision at the timeout ends timeout",
      pending,
      look(single({ sync: synced(older), health: healthy })),
      pushedAt + timeout,
      "timeout",
      true,
    ],
    [
      "progressing is a change from pending",
      pending,
      look(single({ sync: synced(release), health: { status: "Progressing" } })),
      pushedAt + 1,
      "progressing",
      true,
    ],
    [
      "healthy even when seen late",
      pending,
      look(single({ sync: synced(release), health: healthy })),
      pushedAt + 2 * timeout,
      "healthy",
      true,
    ],
    [
      "degraded ends it",
      pending,
      look(single({ sync: synced(release), health: { status: "Degraded" } })),
      pushedAt + 1,
      "degraded",
      true,
    ],
    [
      "an outage changes nothing, even past the timeout",
      pending,
      { kind: "outage" as const, message: "503" },
      pushedAt + 2 * timeout,
      "pending",
      false,
    ],
    [
      "a refusal waits until the timeout",
      pending,
      { kind: "refused" as const, message: "403" },
      pushedAt + 1,
      "pending",
      false,
    ],
    [
      "a refusal ends timeout at the deadline",
      pending,
      { kind: "refused" as const, message: "403" },
      pushedAt + timeout,
      "timeout",
      true,
    ],
    [
      "progressing at the deadline ends timeout",
      { ...pending, state: "progressing" as const },
      look(single({ sync: synced(release), health: { status: "Progressing" } })),
      pushedAt + timeout,
      "timeout",
      true,
    ],
  ] as const)("%s", (_, current, observation, now, state, changed) => {
    const step = nextDeploymentStep(current, observation, now, timeout);
    expect(step.state).toBe(state);
    expect(step.changed).toBe(changed);
  });

  test("the outage message says relbot is waiting, the timeout message names the last thing seen", () => {
    expect(
      nextDeploymentStep(pending, { kind: "outage", message: "connection refused" }, pushedAt, timeout)
        .message,
    ).toBe("waiting for Argo CD: connection refused");
    const step = nextDeploymentStep(
      pending,
      { kind: "refused", message: "Argo CD denied the Application" },
      pushedAt + timeout,
      timeout,
    );
    expect(step.message).toBe("not healthy after 600 s: Argo CD denied the Application");
  });
});
