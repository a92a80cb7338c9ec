import { describe, expect, test } from "bun:test";
import { type DoraPromotion, doraReport, nearestRank } from "../../src/domain/dora.ts";

// Every expectation below is worked out by hand from the table (minutes and seconds spelled out), never by
// running the code under test.
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const D0 = Date.UTC(2024, 4, 1); // 2024-05-01T00:00Z
const window = { since: D0, until: D0 + 4 * day };

let n = 0;
function promotion(
  p: Partial<DoraPromotion> & Pick<DoraPromotion, "app" | "env" | "createdAt">,
): DoraPromotion {
  n++;
  return {
    id: `prm_${String(n).padStart(3, "0")}`,
    kind: "promote",
    status: "succeeded",
    finishedAt: p.createdAt + minute,
    deploymentState: null,
    deploymentSince: null,
    deployedAt: null,
    releaseFirstSeenAt: null,
    ...p,
  };
}

const prod = { app: "order-svc", env: "prod" } as const;
const dev = { app: "billing-svc", env: "dev" } as const;
const history: DoraPromotion[] = [
  // p0, before the window: degraded; its outage started outside the window, so p1 restoring it is not counted.
  promotion({
    ...prod,
    createdAt: D0 - day,
    deploymentState: "degraded",
    deploymentSince: D0 - day + 10 * minute,
  }),
  // p1: tag seen 00:00, healthy 01:10 -> lead 70 min = 4200 s.
  promotion({
    ...prod,
    createdAt: D0 + hour,
    deploymentState: "healthy",
    deployedAt: D0 + hour + 10 * minute,
    releaseFirstSeenAt: D0,
  }),
  // p2: degraded at day1 00:05 -> a failed change, and an outage; never healthy, so no lead time.
  promotion({
    ...prod,
    createdAt: D0 + day,
    deploymentState: "degraded",
    deploymentSince: D0 + day + 5 * minute,
    releaseFirstSeenAt: D0 + 20 * hour,
  }),
  // p3: rollback healthy at day1 00:35 -> restores p2's outage after 30 min = 1800 s.
  promotion({
    ...prod,
    createdAt: D0 + day + 30 * minute,
    kind: "rollback",
    deploymentState: "healthy",
    deployedAt: D0 + day + 35 * minute,
    releaseFirstSeenAt: D0,
  }),
  // p4: the push failed, job ended day2 00:02 -> failed change, outage start.
  promotion({ ...prod, createdAt: D0 + 2 * day, status: "failed", finishedAt: D0 + 2 * day + 2 * minute }),
  // p5: seen day2 00:30, healthy day2 01:05 -> lead 35 min = 2100 s; restores p4 after 63 min = 3780 s.
  promotion({
    ...prod,
    createdAt: D0 + 2 * day + hour,
    deploymentState: "healthy",
    deployedAt: D0 + 2 * day + hour + 5 * minute,
    releaseFirstSeenAt: D0 + 2 * day + 30 * minute,
  }),
  // p6: seen day1 00:00, healthy day3 00:10 -> lead 2 d 10 min = 173400 s; rolled back by p7 after the window.
  promotion({
    ...prod,
    createdAt: D0 + 3 * day,
    deploymentState: "healthy",
    deployedAt: D0 + 3 * day + 10 * minute,
    releaseFirstSeenAt: D0 + day,
  }),
  // p8: denied -> no deployment, no change, no attempt (p6's next attempt stays p7).
  promotion({ ...prod, createdAt: D0 + 3 * day + 2 * hour, status: "denied", finishedAt: null }),
  // p7: rollback after the window: not counted itself, but makes p6 a failed change.
  promotion({
    ...prod,
    createdAt: D0 + 4 * day + hour,
    kind: "rollback",
    deploymentState: "healthy",
    deployedAt: D0 + 4 * day + hour + 5 * minute,
  }),
  // b1: not watched by Argo CD: seen 11:00, pushed 12:00:30 -> lead 3630 s.
  promotion({
    ...dev,
    createdAt: D0 + 12 * hour,
    finishedAt: D0 + 12 * hour + 30_000,
    releaseFirstSeenAt: D0 + 11 * hour,
  }),
  // b3: noop -> neither a deployment nor a change.
  promotion({ ...dev, createdAt: D0 + 2 * day, status: "noop" }),
  // b2: timed out at day3 22:00 -> failed change, outage never restored (open).
  promotion({
    ...dev,
    createdAt: D0 + 3 * day + 12 * hour,
    deploymentState: "timeout",
    deploymentSince: D0 + 3 * day + 22 * hour,
    releaseFirstSeenAt: D0 + 3 * day + 11 * hour,
  }),
  // A place with promotions only before the window gets no group.
  promotion({ app: "billing-svc", env: "staging", createdAt: D0 - 2 * day }),
];

describe("doraReport", () => {
  // Shuffled input: the function orders by time itself.
  const report = doraReport([...history].reverse(), window);

  test("per app and environment", () => {
    expect(report.groups.map((g) => `${g.app}/${g.env}`)).toEqual(["billing-svc/dev", "order-svc/prod"]);
    const [billing, order] = report.groups;
    expect(order).toEqual({
      ...prod,
      // p1, p2, p3, p5, p6 succeeded; p4 failed, p8 denied.
      deployments: { count: 5, perDay: 1.25 },
      // sorted 2100, 4200, 173400: median rank ceil(1.5)=2, p90 rank ceil(2.7)=3.
      leadTime: { samples: 3, medianSeconds: 4200, p90Seconds: 173400 },
      // changes p1, p2, p4, p5, p6; failed p2 (degraded), p4 (push failed), p6 (rolled back).
      changeFailureRate: { changes: 5, failures: 3, rate: 0.6 },
      // 1800 and 3780: median rank 1.
      timeToRestore: { restored: 2, open: 0, medianSeconds: 1800 },
    });
    expect(billing).toEqual({
      ...dev,
      deployments: { count: 2, perDay: 0.5 },
      leadTime: { samples: 1, medianSeconds: 3630, p90Seconds: 3630 },
      changeFailureRate: { changes: 2, failures: 1, rate: 0.5 },
      timeToRestore: { restored: 0, open: 1, medianSeconds: null },
    });
  });

  test("totals over every app and environment", () => {
    expect(report.window).toEqual({ ...window, days: 4 });
    expect(report.total).toEqual({
      deployments: { count: 7, perDay: 1.75 },
      // sorted 2100, 3630, 4200, 173400: median rank 2, p90 rank ceil(3.6)=4.
      leadTime: { samples: 4, medianSeconds: 3630, p90Seconds: 173400 },
      // 4 of 7, rounded to four places.
      changeFailureRate: { changes: 7, failures: 4, rate: 0.5714 },
      timeToRestore: { restored: 2, open: 1, medianSeconds: 1800 },
    });
  });

  test("a series per UTC day of the window", () => {
    expect(report.daily).toEqual([
      { day: "2024-05-01", deployments: 2, failures: 0 }, // p1, b1
      { day: "2024-05-02", deployments: 2, failures: 1 }, // p2 (failed), p3
      { day: "2024-05-03", deployments: 1, failures: 1 }, // p4 failed, p5; b3 noop
      { day: "2024-05-04", deployments: 2, failures: 2 }, // p6 (rolled back), b2 (timeout); p8 denied
    ]);
  });

  test("an empty window has zero counts and null figures", () => {
    const empty = doraReport([], { since: D0, until: D0 + day / 2 });
    expect(empty.groups).toEqual([]);
    expect(empty.window.days).toBe(1); // never divides by less than a day
    expect(empty.total).toEqual({
      deployments: { count: 0, perDay: 0 },
      leadTime: { samples: 0, medianSeconds: null, p90Seconds: null },
      changeFailureRate: { changes: 0, failures: 0, rate: null },
      timeToRestore: { restored: 0, open: 0, medianSeconds: null },
    });
    expect(empty.daily).toEqual([{ day: "2024-05-01", deployments: 0, failures: 0 }]);
  });

  test("a rollback that failed does not make the change before it a failure", () => {
    const a = promotion({ ...prod, createdAt: D0 + hour });
    const b = promotion({ ...prod, createdAt: D0 + 2 * hour, kind: "rollback", status: "failed" });
    const r = doraReport([a, b], window);
    expect(r.total.changeFailureRate).toEqual({ changes: 1, failures: 0, rate: 0 });
    // The failed rollback opens an outage that nothing restores.
    expect(r.total.timeToRestore).toEqual({ restored: 0, open: 1, medianSeconds: null });
  });
});

describe("nearestRank", () => {
  test("picks a measured value", () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10);
  });
});
