import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { doraReport } from "../../src/domain/dora.ts";
import { AuditChainStatus } from "../../src/http/dashboard/chain-status.ts";
import { renderDashboard } from "../../src/http/dashboard/dashboard-page.ts";
import { environmentColumns } from "../../src/http/dashboard/grid.ts";
import { isLoopbackAddress } from "../../src/http/dashboard/loopback.ts";
import type { PromotionRow } from "../../src/store/index.ts";
import { appendEvent, hour, insertPromotion, insertRelease, t0 } from "../http/api/harness.ts";
import { type DashboardRelbot, insertDrift, startDashboardRelbot } from "./harness.ts";

const hostile = `<script>alert("x")</script>`;

function promotion(overrides: Partial<PromotionRow>): PromotionRow {
  return {
    id: "prm_1",
    requestId: "req_1",
    app: "order-svc",
    env: "dev",
    fromVersion: null,
    toVersion: "v1.0.0",
    kind: "promote",
    actor: "alice",
    source: "slack",
    reason: null,
    status: "succeeded",
    gitopsCommit: "0123456789abcdef0123456789abcdef01234567",
    error: null,
    createdAt: t0,
    updatedAt: t0,
    finishedAt: t0,
    deploymentState: null,
    deploymentRevision: null,
    deploymentSince: null,
    deploymentUpdatedAt: null,
    deploymentMessage: null,
    deploymentApplication: null,
    deployedAt: null,
    approvalsRequired: null,
    approvals: null,
    approvalExpiresAt: null,
    replyTo: null,
    pullRequestNumber: null,
    pullRequestUrl: null,
    ...overrides,
  };
}

describe("rendering", () => {
  const apps = [{ name: "order-svc", environments: ["dev"] }];
  // What these tests do not look at: no filter, no rejected tag, no DORA history, no repository links.
  const rest = {
    allApps: apps,
    filter: {},
    rejected: new Map(),
    dora: doraReport([], { since: t0, until: t0 + 24 * hour }),
    links: { app: () => undefined, gitops: undefined },
  };
  const hostileRow = promotion({ actor: hostile, reason: `"><img src=x onerror=alert(1)>`, error: "a & b" });
  const page = renderDashboard({
    ...rest,
    apps,
    board: [[{ app: "order-svc", env: "dev", current: hostileRow, tagState: "ok", pending: [] }]],
    timeline: [hostileRow],
    chain: { verdict: { ok: true, events: 3, head: "h", keyed: true, anchorsChecked: 0 }, checkedAt: t0 },
    now: t0 + hour,
    signedIn: false,
  });

  test("user-supplied text is shown as text, never as markup", () => {
    expect(page).not.toContain(hostile);
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page).toContain("because &quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("a &amp; b");
    // The page's only script element is its own refresh script.
    expect(page.match(/<script>/g)?.length).toBe(1);
  });

  test("times are UTC and relative, the commit is abbreviated", () => {
    expect(page).toContain(
      '<time datetime="2024-05-01T00:00:00.000Z" title="2024-05-01 00:00:00 UTC">1 h ago</time>',
    );
    expect(page).toContain('<code title="0123456789abcdef0123456789abcdef01234567">0123456</code>');
  });

  test("a broken chain names the first bad event", () => {
    const broken = renderDashboard({
      ...rest,
      apps,
      board: [[{ app: "order-svc", env: "dev", tagState: "ok", pending: [] }]],
      timeline: [],
      chain: {
        verdict: {
          ok: false,
          events: 2,
          head: "h",
          keyed: true,
          anchorsChecked: 0,
          firstBadSeq: 3,
          problem: "event 3 was altered after it was written",
        },
        checkedAt: t0,
      },
      now: t0,
      signedIn: false,
    });
    expect(broken).toContain('data-chain="broken">audit chain broken at event 3</span>');
    expect(broken).toContain("event 3 was altered after it was written");
    expect(broken).toContain("No promotions yet.");
  });
});

describe("environment columns", () => {
  test("chains that differ still read towards production", () => {
    expect(
      environmentColumns([
        { name: "a", environments: ["dev", "staging", "prod"] },
        { name: "b", environments: ["dev", "prod"] },
        { name: "c", environments: ["qa", "prod"] },
        { name: "d", environments: ["sandbox"] },
      ]),
    ).toEqual(["dev", "staging", "qa", "prod", "sandbox"]);
  });
});

describe("loopback addresses", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.10.20.30", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["192.0.2.2", false],
    ["::ffff:192.0.2.2", false],
    ["fe80::1", false],
    ["1270.0.0.1", false],
    [undefined, false],
  ] as const)("%p is loopback: %p", (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe("served page, from the database", () => {
  let server: DashboardRelbot;
  let page: string;
  beforeAll(async () => {
    server = await startDashboardRelbot();
    const { relbot } = server;
    insertPromotion(relbot, { createdAt: t0, env: "dev", toVersion: "v1.0.0", actor: "relbot" });
    insertPromotion(relbot, { createdAt: t0 + hour, env: "staging", toVersion: "v1.0.0", actor: "alice" });
    insertPromotion(relbot, { createdAt: t0 + 2 * hour, env: "dev", toVersion: "v1.1.0", actor: "relbot" });
    insertPromotion(relbot, { createdAt: t0 + 3 * hour, env: "prod", toVersion: "v1.0.0", status: "denied" });
    insertPromotion(relbot, {
      createdAt: t0 + 4 * hour,
      env: "staging",
      toVersion: "v1.1.0",
      status: "queued",
    });
    insertRelease(relbot, { version: "v1.0.0", tagState: "moved" });
    insertDrift(relbot, {
      app: "order-svc",
      env: "dev",
      expected: "v1.1.0",
      actual: "v0.9.0",
      detectedAt: t0,
    });
    appendEvent(relbot, "promotion.succeeded", "order-svc@v1.0.0", {}, t0);
    page = await (await fetch(`${relbot.url}/`)).text();
  });
  afterAll(() => server.stop());

  const cell = (html: string, app: string, env: string) => {
    const start = html.search(
      new RegExp(`<td class="cell[^"]*" data-label="[^"]*" data-app="${app}" data-env="${env}"`),
    );
    return start < 0 ? "" : html.slice(start, html.indexOf("</td>", start));
  };

  test("each cell shows the last succeeded promotion, not a later denied or queued one", () => {
    expect(cell(page, "order-svc", "dev")).toContain(
      '<a class="version" href="/releases/order-svc/v1.1.0">v1.1.0</a>',
    );
    expect(cell(page, "order-svc", "staging")).toContain(
      '<a class="version" href="/releases/order-svc/v1.0.0">v1.0.0</a>',
    );
    expect(cell(page, "order-svc", "prod")).toContain("not promoted yet");
  });

  test("drift, a moved tag and a queued promotion are flagged in their cells", () => {
    expect(cell(page, "order-svc", "dev")).toContain('data-drift="true"');
    expect(cell(page, "order-svc", "dev")).toContain(
      "manifest has <code>v0.9.0</code>, relbot promoted\n<code>v1.1.0</code>",
    );
    expect(cell(page, "order-svc", "staging")).toContain('<span class="flag tag">tag moved</span>');
    expect(cell(page, "order-svc", "staging")).toContain(
      '<span class="flag pending">queued</span> → <a href="/releases/order-svc/v1.1.0">v1.1.0</a> by relbot',
    );
    expect(cell(page, "order-svc", "staging")).not.toContain("data-drift");
  });

  test("billing-svc has no staging: its row says so", () => {
    expect(page).toContain('<th scope="row">billing-svc</th>');
    expect(page).toContain('<td class="muted" data-label="staging">not in chain</td>');
  });

  test("the denied promotion into prod shows in its grid cell, not only in the timeline", () => {
    expect(cell(page, "order-svc", "prod")).toContain('data-problem="denied"');
    expect(page).toContain(
      '<td class="cell problem" data-label="prod" data-app="order-svc" data-env="prod">',
    );
  });

  test("the timeline lists every promotion newest first with its status", () => {
    const timeline = page.slice(page.indexOf('<table class="timeline'));
    const statuses = [...timeline.matchAll(/class="status status-([\w-]+)"/g)].map((m) => m[1]);
    expect(statuses).toEqual(["queued", "denied", "succeeded", "succeeded", "succeeded"]);
  });

  test("the audit chain status is shown", () => {
    // The seeded event and relbot's own config.loaded from start-up.
    expect(page).toContain('data-chain="ok">audit chain intact · 2 events</span>');
  });
});

describe("audit chain status", () => {
  test("is re-walked once its verdict is older than the limit, and then sees tampering", async () => {
    const server = await startDashboardRelbot();
    try {
      const { relbot } = server;
      appendEvent(relbot, "release.verified", "order-svc@v1.0.0", { n: 1 }, t0);
      appendEvent(relbot, "release.verified", "order-svc@v1.1.0", { n: 2 }, t0);
      let now = t0;
      const status = new AuditChainStatus(relbot.database.db, { now: () => now }, [], 60_000);
      expect(status.current().verdict.ok).toBe(true);
      relbot.database.exec(`update audit_events set actor = 'mallory' where seq = 1`);
      now += 59_999;
      expect(status.current().verdict.ok).toBe(true); // still the cached verdict
      now += 1;
      const { verdict, checkedAt } = status.current();
      expect(verdict).toMatchObject({ ok: false, firstBadSeq: 1 });
      expect(checkedAt).toBe(now);
    } finally {
      await server.stop();
    }
  });
});
