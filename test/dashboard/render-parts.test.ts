// The dashboard's parts rendered on their own: filters, deployment state, pushed -> healthy, links, DORA charts,
// the release page and trace ids. Every value that reaches a page from outside is shown as text.
import { describe, expect, test } from "bun:test";
import { type DoraPromotion, doraReport } from "../../src/domain/dora.ts";
import { repoLinks } from "../../src/domain/repo-links.ts";
import { renderPendingApprovals } from "../../src/http/dashboard/approvals.ts";
import { renderDora } from "../../src/http/dashboard/dora-charts.ts";
import { filteredApps, filterHref, parseFilter, renderFilterForm } from "../../src/http/dashboard/filters.ts";
import { markup } from "../../src/http/dashboard/format.ts";
import { renderGrid } from "../../src/http/dashboard/grid.ts";
import { commitLink, type DashboardLinks, pullRequestLink, tagLink } from "../../src/http/dashboard/links.ts";
import { renderReleasePage } from "../../src/http/dashboard/release-page.ts";
import { pushedToHealthySeconds, renderTimeline } from "../../src/http/dashboard/timeline.ts";
import { traceIdOf } from "../../src/http/dashboard/trace-id.ts";
import type { PromotionRow, ReleaseRow } from "../../src/store/index.ts";
import type { BoardCell } from "../../src/store/queries/index.ts";

const t0 = Date.UTC(2024, 4, 1);
const minute = 60_000;
const hour = (n: number) => n * 60 * minute;
const hostile = `<script>alert("x")</script>`;
const gitHubLinks: DashboardLinks = {
  app: (name) => repoLinks(`https://github.com/acme/${name}`),
  gitops: repoLinks("git@gitlab.com:acme/gitops.git"),
};
const render = (fragment: Parameters<typeof markup>[0] | string) =>
  typeof fragment === "string" ? fragment : markup(fragment);

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
    finishedAt: t0 + 1000,
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

describe("filters", () => {
  const apps = [
    { name: "order-svc", environments: ["dev", "staging", "prod"] },
    { name: "billing-svc", environments: ["dev", "prod"] },
  ];
  const query = (values: Record<string, string>) => (name: string) => values[name];

  test("configured values are taken, empty ones mean all", () => {
    expect(parseFilter(query({ app: "billing-svc", env: "prod", status: "failed" }), apps)).toEqual({
      filter: { app: "billing-svc", env: "prod", status: "failed" },
    });
    expect(parseFilter(query({ app: "", env: "", status: "" }), apps)).toEqual({ filter: {} });
  });

  test("anything not configured is refused, naming the parameter and never echoing the value", () => {
    for (const [values, problem] of [
      [{ app: hostile }, "app: not a configured app"],
      [{ env: "qa" }, "env: not a configured environment"],
      [{ status: "shipped" }, "status: one of queued, running, succeeded, noop"],
    ] as const) {
      const parsed = parseFilter(query(values), apps);
      expect("problem" in parsed && parsed.problem).toStartWith(problem);
    }
  });

  test("the DORA window is one of 7, 30 and 90 days; anything else is refused without echoing it", () => {
    expect(parseFilter(query({ window: "7" }), apps)).toEqual({ filter: { window: 7 } });
    expect(parseFilter(query({ window: "90", app: "order-svc" }), apps)).toEqual({
      filter: { app: "order-svc", window: 90 },
    });
    expect(parseFilter(query({ window: "" }), apps)).toEqual({ filter: {} });
    for (const bad of ["14", "7d", "07", "365", hostile, "30 "]) {
      expect(parseFilter(query({ window: bad }), apps)).toEqual({
        problem: "window: one of 7, 30, 90 (days)",
      });
    }
  });

  test("the window goes into the form and the links, keeping the other choices", () => {
    const form = render(renderFilterForm(apps, { app: "order-svc", window: 90 }));
    expect(form).toContain('<option value="90" selected>90 days</option>');
    expect(form).not.toContain('<option value="30" selected>');
    // Without a window the default (the API's, 30 days) is the one selected, and there is nothing to clear.
    const plain = render(renderFilterForm(apps, {}));
    expect(plain).toContain('<option value="30" selected>30 days</option>');
    expect(plain).not.toContain("clear");
    expect(render(renderFilterForm(apps, { window: 7 }))).toContain('<a href="/">clear</a>');
    expect(filterHref({ app: "order-svc", status: "failed", window: 90 }, { window: 7 })).toBe(
      "/?app=order-svc&status=failed&window=7",
    );
    expect(filterHref({})).toBe("/");
  });

  test("app and environment narrow the grid's rows and columns", () => {
    expect(filteredApps(apps, { env: "staging" })).toEqual([
      { name: "order-svc", environments: ["staging"] },
    ]);
    expect(filteredApps(apps, { app: "billing-svc", env: "staging" })).toEqual([]);
    expect(render(renderGrid([], [], t0))).toContain("No app has an environment that matches the filter.");
  });

  test("the form shows the chosen values and a way back", () => {
    const form = render(renderFilterForm(apps, { app: "billing-svc", status: "failed" }));
    expect(form).toContain('<option value="billing-svc" selected>billing-svc</option>');
    expect(form).toContain('<option value="failed" selected>failed</option>');
    expect(form).toContain('<a href="/">clear</a>');
    expect(render(renderFilterForm(apps, {}))).not.toContain("clear");
  });
});

describe("approvals section and the filter", () => {
  const waiting = promotion({
    id: "prm_wait",
    env: "prod",
    status: "awaiting-approval",
    actor: hostile,
    approvalsRequired: 1,
    approvals: [],
  });

  test("narrowed by app and environment: says so, and how many wait outside the filter", () => {
    const page = render(
      renderPendingApprovals(
        { pending: [waiting], elsewhere: 2, filter: { app: "order-svc", env: "prod" } },
        "c",
      ),
    );
    expect(page).toContain(
      '<h2 id="approvals">Awaiting approval <span class="muted">(order-svc · prod only)</span></h2>',
    );
    expect(page).toContain('data-promotion="prm_wait"');
    expect(page).toContain('2 awaiting approval outside it (<a href="/">show all</a>)');
    expect(page).not.toContain(hostile);
  });

  test("nothing for the filter but some elsewhere: no table, the count and the way back", () => {
    const page = render(
      renderPendingApprovals({ pending: [], elsewhere: "more", filter: { env: "staging" } }, undefined),
    );
    expect(page).not.toContain("<table");
    expect(page).toContain("None for this filter; more awaiting approval outside it");
    expect(renderPendingApprovals({ pending: [], elsewhere: 0, filter: { env: "staging" } }, undefined)).toBe(
      "",
    );
  });

  test("a status filter is the timeline's: the section says it is not applied here", () => {
    const page = render(
      renderPendingApprovals({ pending: [waiting], elsewhere: 0, filter: { status: "failed" } }, undefined),
    );
    expect(page).toContain(
      "The status filter narrows the timeline only: everything here is awaiting-approval.",
    );
    expect(page).toContain('data-promotion="prm_wait"');
    expect(page).not.toContain("outside it");
    expect(
      render(renderPendingApprovals({ pending: [waiting], elsewhere: 0, filter: {} }, undefined)),
    ).not.toContain("status filter");
  });
});

describe("deployment state", () => {
  const apps = [{ name: "order-svc", environments: ["dev"] }];
  const cellWith = (p: PromotionRow): BoardCell[][] => [
    [{ app: "order-svc", env: "dev", current: p, tagState: "ok", pending: [] }],
  ];

  test.each([
    ["pending", "deploy-pending"],
    ["progressing", "deploy-pending"],
    ["healthy", "deploy-healthy"],
    ["degraded", "deploy-bad"],
    ["timeout", "deploy-bad"],
  ] as const)("a %s deployment is shown in its grid cell", (state, tone) => {
    const grid = render(
      renderGrid(
        apps,
        cellWith(
          promotion({ deploymentState: state, deploymentSince: t0 + minute, deploymentMessage: hostile }),
        ),
        t0 + 10 * minute,
      ),
    );
    expect(grid).toContain(
      `data-deployment="${state}"><span class="flag ${tone}" title="Argo CD: ${state}">${state}</span>`,
    );
    expect(grid).toContain('<time datetime="2024-05-01T00:01:00.000Z"');
    // Argo CD's message where something is not yet right, always as text.
    expect(grid.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")).toBe(state !== "healthy");
    expect(grid).not.toContain(hostile);
  });

  test("a promotion relbot does not watch shows no deployment state", () => {
    expect(render(renderGrid(apps, cellWith(promotion({})), t0))).not.toContain("data-deployment");
  });

  test("the timeline says how long the release took from the push to healthy", () => {
    const healthy = promotion({
      deploymentState: "healthy",
      finishedAt: t0 + 1000,
      deployedAt: t0 + 1000 + 4 * minute + 20_000,
    });
    expect(pushedToHealthySeconds(healthy)).toBe(260);
    expect(pushedToHealthySeconds(promotion({ deploymentState: "progressing" }))).toBeNull();
    const row = render(renderTimeline([healthy], t0 + hour(1)));
    expect(row).toContain('data-pushed-to-healthy="260">healthy 4 min after the push</span>');

    const degraded = render(
      renderTimeline([promotion({ deploymentState: "degraded", deploymentMessage: hostile })], t0),
    );
    expect(degraded).toContain('data-deployment="degraded"');
    expect(degraded).toContain("&lt;script&gt;");
    expect(degraded).not.toContain(hostile);
  });
});

describe("links", () => {
  test("commits, tags and pull requests link to the web UI of known hosts, text elsewhere", () => {
    const github = repoLinks("https://github.com/acme/order-svc.git");
    expect(render(commitLink(github, "a".repeat(40)))).toBe(
      `<a href="https://github.com/acme/order-svc/commit/${"a".repeat(40)}" rel="noopener noreferrer" target="_blank"><code title="${"a".repeat(40)}">aaaaaaa</code></a>`,
    );
    expect(render(commitLink(undefined, "a".repeat(40)))).toBe(
      `<code title="${"a".repeat(40)}">aaaaaaa</code>`,
    );
    expect(render(tagLink(github, `v1"><b>`))).toContain(
      'href="https://github.com/acme/order-svc/releases/tag/v1%22%3E%3Cb%3E"',
    );
    expect(render(tagLink(github, `v1"><b>`))).toContain("<code>v1&quot;&gt;&lt;b&gt;</code>");
    expect(render(tagLink(undefined, "v1.0.0"))).toBe("<code>v1.0.0</code>");
  });

  test("a pull request's recorded URL is used only when it is https; otherwise the link is built", () => {
    const gitlab = repoLinks("git@gitlab.com:acme/gitops.git");
    expect(render(pullRequestLink(gitlab, 7, "https://gitlab.com/acme/gitops/-/merge_requests/7"))).toContain(
      'href="https://gitlab.com/acme/gitops/-/merge_requests/7"',
    );
    expect(render(pullRequestLink(gitlab, 7, "javascript:alert(1)"))).toContain(
      'href="https://gitlab.com/acme/gitops/-/merge_requests/7"',
    );
    expect(render(pullRequestLink(undefined, 7, "javascript:alert(1)"))).toBe("#7");
  });

  test("the timeline links each GitOps commit and pull request", () => {
    const row = render(
      renderTimeline(
        [promotion({ pullRequestNumber: 42, pullRequestUrl: null, gitopsCommit: "b".repeat(40) })],
        t0,
        gitHubLinks,
      ),
    );
    expect(row).toContain(`href="https://gitlab.com/acme/gitops/-/commit/${"b".repeat(40)}"`);
    expect(row).toContain('href="https://gitlab.com/acme/gitops/-/merge_requests/42"');
  });
});

describe("DORA charts", () => {
  const record = (overrides: Partial<DoraPromotion>): DoraPromotion => ({
    id: `prm_${Math.random()}`,
    app: "order-svc",
    env: "prod",
    kind: "promote",
    status: "succeeded",
    createdAt: t0,
    finishedAt: t0 + minute,
    deploymentState: null,
    deploymentSince: null,
    deployedAt: null,
    releaseFirstSeenAt: t0 - hour(1),
    ...overrides,
  });
  const window = { since: t0, until: t0 + 3 * 24 * hour(1) };
  const report = doraReport(
    [
      record({ createdAt: t0 + hour(1) }),
      record({ createdAt: t0 + hour(2) }),
      record({ createdAt: t0 + hour(3), status: "failed", finishedAt: t0 + hour(3) }),
      record({ createdAt: t0 + 24 * hour(1) + hour(1), app: hostile }),
    ],
    window,
  );
  const page = render(renderDora(report));

  test("one group of bars per day of the report, carrying its figures", () => {
    const days = [...page.matchAll(/data-day="([^"]+)" data-deployments="(\d+)" data-failures="(\d+)"/g)].map(
      (m) => ({ day: m[1], deployments: Number(m[2]), failures: Number(m[3]) }),
    );
    expect(days).toEqual(report.daily);
    expect(days.map((d) => d.deployments)).toEqual([2, 1, 0]);
    expect(days.map((d) => d.failures)).toEqual([1, 0, 0]);
  });

  test("bar heights follow the figures on one scale", () => {
    const heights = (kind: string) =>
      [...page.matchAll(new RegExp(`<rect class="${kind}" [^>]*height="([\\d.]+)"`, "g"))].map((m) =>
        Number(m[1]),
      );
    const [first, second, third] = heights("bar-deploy");
    expect(first).toBeGreaterThan(0);
    expect(second).toBeCloseTo(first! / 2, 1);
    expect(third).toBe(0);
    expect(heights("bar-fail")[0]).toBeCloseTo(first! / 2, 1);
  });

  test("lead time bars per app and environment, names escaped", () => {
    expect(page).toContain('<svg id="dora-lead-time"');
    expect(page).toContain('data-app="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
    expect(page).not.toContain(hostile);
    expect(page).not.toContain("<script");
  });

  test("no history: an empty chart and a plain sentence, not an error", () => {
    const empty = render(renderDora(doraReport([], window)));
    expect(empty).toContain('<svg id="dora-daily"');
    expect(empty).toContain("No lead time yet");
    expect(empty).toContain("No promotions in this window.");
  });
});

describe("trace ids", () => {
  const stored = (traceparent: unknown) => JSON.stringify({ traceparent });
  test("the trace id of a stored W3C trace context, and nothing from anything else", () => {
    expect(traceIdOf(stored("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))).toBe(
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
    for (const bad of [
      undefined,
      "not json",
      "null",
      stored(42),
      stored("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
      stored("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
      stored(`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01${hostile}`),
      stored(`00-${"a".repeat(2000)}`),
    ]) {
      expect(traceIdOf(bad)).toBeUndefined();
    }
  });
});

describe("release page", () => {
  const rejected: ReleaseRow = {
    id: 1,
    app: "order-svc",
    module: "github.com/acme/order-svc",
    version: "v1.2.0",
    tagName: "v1.2.0",
    tagObject: "e".repeat(40),
    commit: "c".repeat(40),
    signatureFormat: "openpgp",
    signer: hostile,
    keyFingerprint: "ABCD",
    sbomDigest: `sha256:${"d".repeat(64)}`,
    sbomFormat: "cyclonedx",
    status: "rejected",
    reasons: [{ code: "gomod_replace", message: `go.mod has a replace directive ${hostile}` }],
    tagState: "ok",
    source: "webhook",
    deliveryId: null,
    firstSeenAt: t0,
    createdAt: t0,
    updatedAt: t0,
  };
  const page = renderReleasePage({
    app: "order-svc",
    version: "v1.2.0",
    records: [rejected],
    promotions: [promotion({ id: "prm_9", toVersion: "v1.2.0", status: "denied", error: "not verified" })],
    releaseTraces: new Map([["e".repeat(40), "4bf92f3577b34da6a3ce929d0e0e4736"]]),
    promotionTraces: new Map(),
    links: gitHubLinks,
    now: t0 + hour(1),
  });

  test("checks, signer, SBOM digest, links and trace ids, all escaped", () => {
    expect(page).toContain('data-release-status="rejected">rejected</span>');
    expect(page).toContain("gomod_replace");
    expect(page).toContain(`go.mod has a replace directive &lt;script&gt;`);
    expect(page).toContain(
      `<dt>SBOM digest</dt><dd><code>sha256:${"d".repeat(64)}</code> <span class="muted">(cyclonedx)</span>`,
    );
    expect(page).toContain(`href="https://github.com/acme/order-svc/commit/${"c".repeat(40)}"`);
    expect(page).toContain('href="https://github.com/acme/order-svc/releases/tag/v1.2.0"');
    expect(page).toContain("<dd data-trace><code>4bf92f3577b34da6a3ce929d0e0e4736</code></dd>");
    expect(page).toContain('<td data-label="trace" data-trace><span class="muted">none</span></td>');
    expect(page).not.toContain(hostile);
    expect(page).not.toContain("<script");
  });
});
