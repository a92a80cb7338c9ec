// biome-ignore-all lint/performance/useDomNodeTextContent: the rendered text (innerText) is what a person reads, on purpose
// A real browser (Debian's chromium driven by playwright-core) against a real relbot: what a person sees.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { dashboardPolicy } from "../../src/http/dashboard/dashboard-page.ts";
import { promotionJobKey, releaseJobKey } from "../../src/jobs/index.ts";
import { appendEvent, hour, insertPromotion, insertRelease, t0 } from "../http/api/harness.ts";
import {
  type DashboardRelbot,
  dashboardTokens,
  insertDrift,
  insertTracedJob,
  startDashboardRelbot,
} from "./harness.ts";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
  console.warn(`skipped the dashboard browser test: ${chromiumPath} is missing (apt-get install chromium)`);
}

const screenshot = "/tmp/relbot-dashboard.png";
const minute = 60_000;
/** The dashboard's "now": eight hours after the first seeded promotion, so the DORA window holds them all. */
const now = t0 + 8 * hour;
const releaseTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const promotionTrace = "0af7651916cd43dd8448eb211c80319c";
const hostileMessage = `<img src=x onerror="window.pwned=2"> Back-off restarting failed container`;

// evaluate() callbacks run inside chromium, where globalThis is the page's window; this project's types have no
// DOM, so they reach it as (globalThis as any).

describe.skipIf(!haveChromium)("dashboard in chromium", () => {
  let server: DashboardRelbot;
  let browser: Browser;
  let page: Page;
  /** Everything the browser complained about: CSP violations and script errors land here. */
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startDashboardRelbot({
      clock: { now: () => now },
      // Hosts named github.* / gitlab.* get links; example.com names are never contacted (nothing here fetches).
      repos: {
        "order-svc": "https://github.example.com/acme/order-svc.git",
        "billing-svc": "git@gitlab.example.com:acme/platform/billing-svc.git",
      },
      gitopsUrl: "https://github.example.com/acme/gitops.git",
    });
    const { relbot } = server;
    const commit = (n: number) => `${n}`.repeat(40);
    insertPromotion(relbot, { createdAt: t0, env: "dev", toVersion: "v1.0.0", gitopsCommit: commit(1) });
    insertPromotion(relbot, {
      createdAt: t0 + hour,
      env: "staging",
      fromVersion: null,
      toVersion: "v1.0.0",
      actor: "alice",
      source: "slack",
      reason: "<b>ship it</b>",
      gitopsCommit: commit(2),
      deploymentState: "degraded",
      deploymentSince: t0 + hour + 10 * minute,
      deploymentMessage: hostileMessage,
    });
    const healthy = insertPromotion(relbot, {
      createdAt: t0 + 2 * hour,
      env: "dev",
      fromVersion: "v1.0.0",
      toVersion: "v1.1.0",
      gitopsCommit: commit(3),
      deploymentState: "healthy",
      // Pushed one second after it was asked (insertPromotion's finishedAt), healthy four minutes later.
      deploymentSince: t0 + 2 * hour + 1000 + 4 * minute,
      deployedAt: t0 + 2 * hour + 1000 + 4 * minute,
    });
    insertPromotion(relbot, {
      createdAt: t0 + 3 * hour,
      env: "prod",
      fromVersion: null,
      toVersion: "v1.1.0",
      actor: "<script>window.pwned=1</script>",
      source: "github",
      status: "denied",
      error: "v1.1.0 has not succeeded in staging yet",
    });
    insertPromotion(relbot, {
      createdAt: t0 + 4 * hour,
      app: "billing-svc",
      env: "dev",
      toVersion: "v0.3.0",
      actor: "bob",
      source: "api",
      gitopsCommit: commit(4),
      deploymentState: "progressing",
      deploymentSince: t0 + 4 * hour + minute,
    });
    insertPromotion(relbot, {
      createdAt: t0 + 5 * hour,
      app: "billing-svc",
      env: "prod",
      toVersion: "v0.3.0",
      actor: "bob",
      source: "cli",
      status: "failed",
      error: "push rejected",
    });
    insertPromotion(relbot, {
      createdAt: t0 + 6 * hour,
      env: "prod",
      toVersion: "v1.0.0",
      actor: "carol",
      source: "slack",
      status: "pr-open",
      pullRequestNumber: 42,
      pullRequestUrl: "https://github.example.com/acme/gitops/pull/42",
    });
    insertRelease(relbot, { version: "v1.0.0", tagState: "deleted" });
    const v110 = insertRelease(relbot, {
      version: "v1.1.0",
      createdAt: t0 + 90 * minute,
      firstSeenAt: t0 + 90 * minute,
    });
    insertRelease(relbot, {
      app: "billing-svc",
      module: "gitlab.example.com/acme/platform/billing-svc",
      version: "v0.4.0",
      status: "rejected",
      signer: null,
      signatureFormat: null,
      keyFingerprint: null,
      sbomDigest: null,
      sbomFormat: null,
      reasons: [
        { code: "signature_unknown", message: "signed by <mallory@evil.test>, not an allowed signer" },
      ],
      createdAt: t0 + 7 * hour,
    });
    insertTracedJob(relbot, {
      kind: "release",
      dedupKey: releaseJobKey("order-svc", v110.tagName, v110.tagObject),
      traceparent: `00-${releaseTrace}-00f067aa0ba902b7-01`,
      at: t0 + 90 * minute,
    });
    insertTracedJob(relbot, {
      kind: "promotion",
      dedupKey: promotionJobKey(healthy.id),
      traceparent: `00-${promotionTrace}-b7ad6b7169203331-01`,
      at: t0 + 2 * hour,
    });
    insertDrift(relbot, {
      app: "order-svc",
      env: "dev",
      expected: "v1.1.0",
      actual: "v0.9.0",
      detectedAt: t0,
    });
    appendEvent(relbot, "promotion.succeeded", "order-svc@v1.0.0", {}, t0);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("dialog", (dialog) => {
      problems.push(`unexpected dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const cellText = (app: string, env: string) =>
    page.locator(`td[data-app="${app}"][data-env="${env}"]`).innerText();
  const cell = (app: string, env: string) => page.locator(`td[data-app="${app}"][data-env="${env}"]`);

  test("the grid shows the current version of each app in each environment", async () => {
    const response = await page.goto(`${server.relbot.url}/`);
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: screenshot, fullPage: true });

    expect(await page.locator("table.grid thead th").allInnerTexts()).toEqual([
      "app",
      "dev",
      "staging",
      "prod",
    ]);
    expect(await cellText("order-svc", "dev")).toStartWith("v1.1.0");
    expect(await cellText("order-svc", "staging")).toStartWith("v1.0.0");
    expect(await cellText("order-svc", "staging")).toContain("by alice");
    expect(await cellText("order-svc", "prod")).toStartWith("not promoted yet");
    expect(await cellText("billing-svc", "dev")).toStartWith("v0.3.0");
    expect(await cellText("billing-svc", "prod")).toStartWith("not promoted yet");
    expect(await page.locator("table.grid tbody tr").nth(1).locator("td").nth(1).innerText()).toBe(
      "not in chain",
    );
  });

  test("drift is highlighted with expected and actual, a deleted tag is flagged", async () => {
    const drifted = page.locator('td[data-drift="true"]');
    expect(await drifted.count()).toBe(1);
    expect(await drifted.getAttribute("data-env")).toBe("dev");
    expect(await drifted.innerText()).toContain("manifest has v0.9.0, relbot promoted v1.1.0");
    // Highlighted, not just worded: the drift cell's background differs from a plain cell's.
    const background = (selector: string) =>
      page.locator(selector).evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor);
    expect(await background('td[data-drift="true"]')).not.toBe(
      await background('td[data-app="billing-svc"][data-env="dev"]'),
    );
    expect(await cellText("order-svc", "staging")).toContain("tag deleted");
  });

  test("each cell shows Argo CD's deployment state, with its message when it went wrong", async () => {
    const state = (app: string, env: string) =>
      cell(app, env).locator("[data-deployment]").getAttribute("data-deployment");
    expect(await state("order-svc", "dev")).toBe("healthy");
    expect(await state("order-svc", "staging")).toBe("degraded");
    expect(await state("billing-svc", "dev")).toBe("progressing");
    expect(await cell("order-svc", "prod").locator("[data-deployment]").count()).toBe(0);
    const degraded = await cell("order-svc", "staging").locator("[data-deployment]").innerText();
    expect(degraded).toContain("degraded");
    expect(degraded).toContain(hostileMessage); // Argo CD's words, as text
    // Told apart by colour as well as by word.
    const colour = (app: string, env: string) =>
      cell(app, env)
        .locator("[data-deployment] .flag")
        .evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor);
    expect(
      new Set([
        await colour("order-svc", "dev"),
        await colour("order-svc", "staging"),
        await colour("billing-svc", "dev"),
      ]).size,
    ).toBe(3);
  });

  test("failed and denied promotions and a rejected tag show in the grid, not only in the timeline", async () => {
    const denied = cell("order-svc", "prod").locator('[data-problem="denied"]');
    expect(await denied.innerText()).toBe(
      "denied → v1.1.0 by <script>window.pwned=1</script> 5 h ago\nv1.1.0 has not succeeded in staging yet",
    );
    const failed = cell("billing-svc", "prod").locator('[data-problem="failed"]');
    expect(await failed.innerText()).toBe("failed → v0.3.0 by bob 3 h ago\npush rejected");
    const rejected = page.locator('th[scope="row"] [data-rejected="v0.4.0"]');
    expect(await rejected.innerText()).toBe("rejected v0.4.0 details\nsignature_unknown");
    // The open pull request waits in the prod cell, linked.
    expect(await cell("order-svc", "prod").locator('[data-pending="pr-open"]').innerText()).toContain(
      "pr-open → v1.0.0 by carol #42",
    );
  });

  test("tags, commits and pull requests link into the repositories' web pages", async () => {
    const href = (locator: ReturnType<Page["locator"]>) => locator.getAttribute("href");
    expect(await href(page.locator('[data-rejected="v0.4.0"] a').first())).toBe(
      "https://gitlab.example.com/acme/platform/billing-svc/-/tags/v0.4.0",
    );
    expect(await href(cell("order-svc", "prod").locator('[data-pending="pr-open"] a').last())).toBe(
      "https://github.example.com/acme/gitops/pull/42",
    );
    // Every GitOps commit in the timeline (four promotions pushed one) links to the GitOps repository.
    const commits = page.locator('table.timeline td[data-label="GitOps commit"] a[href*="/commit/"]');
    expect(await commits.count()).toBe(4);
    expect(await href(commits.first())).toBe(
      `https://github.example.com/acme/gitops/commit/${"4".repeat(40)}`,
    );
    // Out of relbot, each opens apart and sends no referrer.
    const external = page.locator('a[href^="https://"]');
    expect(await external.count()).toBe(7);
    for (const rel of await external.evaluateAll((els) => els.map((el) => el.getAttribute("rel")))) {
      expect(rel).toBe("noopener noreferrer");
    }
  });

  test("the timeline lists promotions newest first with status, actor, commit and pushed -> healthy time", async () => {
    const rows = page.locator("table.timeline tbody tr");
    expect(await rows.count()).toBe(7);
    const row = async (i: number) => (await rows.nth(i).locator("td").allInnerTexts()).map((t) => t.trim());
    expect(await row(0)).toEqual([
      "2024-05-01 06:00:00 UTC",
      "order-svc",
      "prod",
      "none → v1.0.0",
      "carol",
      "slack",
      "pr-open",
      "none #42",
    ]);
    expect(await row(1)).toEqual([
      "2024-05-01 05:00:00 UTC",
      "billing-svc",
      "prod",
      "none → v0.3.0\npush rejected",
      "bob",
      "cli",
      "failed",
      "none",
    ]);
    expect((await row(3))[4]).toBe("<script>window.pwned=1</script>");
    expect((await row(3))[6]).toBe("denied");
    expect((await row(4))[6]).toBe("succeeded healthy\nhealthy 4 min after the push");
    expect(await rows.nth(4).locator("[data-pushed-to-healthy]").getAttribute("data-pushed-to-healthy")).toBe(
      "240",
    );
    expect((await row(5))[6]).toBe(`succeeded degraded\n${hostileMessage}`);
    expect(await row(6)).toEqual([
      "2024-05-01 00:00:00 UTC",
      "order-svc",
      "dev",
      "none → v1.0.0",
      "relbot",
      "webhook",
      "succeeded",
      "1111111",
    ]);
    expect((await row(5))[3]).toBe("none → v1.0.0\nbecause <b>ship it</b>");
    const colours = await rows
      .locator(".status")
      .evaluateAll((els) => els.map((el) => (globalThis as any).getComputedStyle(el).backgroundColor));
    expect(new Set(colours).size).toBe(4); // pr-open, failed, denied, succeeded each their own colour
  });

  test("the DORA charts are drawn from the same figures GET /api/v1/dora answers", async () => {
    const api = await fetch(`${server.relbot.url}/api/v1/dora`, {
      headers: { Authorization: `Bearer ${dashboardTokens.viewer}` },
    });
    expect(api.status).toBe(200);
    const report = (await api.json()) as {
      daily: { day: string; deployments: number; failures: number }[];
      groups: { app: string; env: string; leadTime: { samples: number } }[];
    };
    const chart = page.locator("svg#dora-daily");
    expect(await chart.isVisible()).toBe(true);
    const drawn = await chart.locator("g[data-day]").evaluateAll((els) =>
      els.map((el) => ({
        day: el.getAttribute("data-day"),
        deployments: Number(el.getAttribute("data-deployments")),
        failures: Number(el.getAttribute("data-failures")),
      })),
    );
    expect(drawn).toEqual(report.daily);
    const seededDay = report.daily.find((d) => d.day === "2024-05-01")!;
    expect(seededDay).toEqual({ day: "2024-05-01", deployments: 4, failures: 2 });
    // The bars are really drawn: the seeded day's deployment bar has height on screen, an empty day's none.
    const barHeight = (day: string, bar: string) =>
      chart
        .locator(`g[data-day="${day}"] rect.${bar}`)
        .evaluate((el) => (el as any).getBoundingClientRect().height as number);
    expect(await barHeight("2024-05-01", "bar-deploy")).toBeGreaterThan(20);
    expect(await barHeight("2024-05-01", "bar-fail")).toBeGreaterThan(5);
    expect(await barHeight(report.daily[0]!.day, "bar-deploy")).toBe(0);
    // The lead time chart has a bar per app and environment with a sample, as the API counts them.
    const sampled = report.groups.filter((g) => g.leadTime.samples > 0).map((g) => `${g.app} ${g.env}`);
    expect(sampled).toEqual(["order-svc dev"]);
    const leadBars = await page
      .locator("svg#dora-lead-time g[data-app]")
      .evaluateAll((els) => els.map((el) => `${el.getAttribute("data-app")} ${el.getAttribute("data-env")}`));
    expect(leadBars).toEqual(sampled);
    expect(await page.locator('table.dora tr[data-app="order-svc"][data-env="dev"]').innerText()).toContain(
      "34 min",
    );
  });

  test("filters narrow grid, charts and timeline through the query string", async () => {
    await page.selectOption('select[name="app"]', "billing-svc");
    await page.selectOption('select[name="env"]', "prod");
    await page.selectOption('select[name="status"]', "failed");
    await Promise.all([page.waitForURL(/\?/), page.getByRole("button", { name: "Filter" }).click()]);
    // The DORA window is always chosen in the form (the default, 30 days, unless changed).
    expect(new URL(page.url()).search).toBe("?app=billing-svc&env=prod&status=failed&window=30");
    expect(await page.locator("table.grid thead th").allInnerTexts()).toEqual(["app", "prod"]);
    expect(await page.locator('table.grid th[scope="row"]').count()).toBe(1);
    expect(await page.locator("table.timeline tbody tr").count()).toBe(1);
    expect(await page.locator("table.timeline .status").allInnerTexts()).toEqual(["failed"]);
    expect(await page.locator('select[name="app"]').inputValue()).toBe("billing-svc");
    const filteredApi = (await (
      await fetch(`${server.relbot.url}/api/v1/dora?app=billing-svc&env=prod`, {
        headers: { Authorization: `Bearer ${dashboardTokens.viewer}` },
      })
    ).json()) as { daily: { deployments: number; failures: number }[] };
    const drawnFailures = await page
      .locator("svg#dora-daily g[data-day]")
      .evaluateAll((els) => els.reduce((n, el) => n + Number(el.getAttribute("data-failures")), 0));
    expect(drawnFailures).toBe(filteredApi.daily.reduce((n, d) => n + d.failures, 0));
    expect(drawnFailures).toBe(1);

    // A value not configured is refused, and not echoed (another tab: its 400 is expected, not a problem).
    const other = await browser.newPage();
    try {
      const refused = await other.goto(`${server.relbot.url}/?app=%3Cscript%3Enope&status=failed`);
      expect(refused?.status()).toBe(400);
      expect(await other.locator("#filter-problem").innerText()).toBe(
        "Bad filter: app: not a configured app.",
      );
      expect(await other.content()).not.toContain("nope");
      expect((await other.goto(`${server.relbot.url}/?status=shipped`))?.status()).toBe(400);
    } finally {
      await other.close();
    }
    await page.goto(`${server.relbot.url}/`);
  });

  test("a 7- or 90-day DORA window: the bars and figures are GET /api/v1/dora's for the same window", async () => {
    type Report = {
      window: { since: string; until: string; days: number };
      daily: { day: string; deployments: number; failures: number }[];
      groups: { app: string; env: string; deployments: { count: number } }[];
    };
    const dora = async (days: number) => {
      const since = new Date(now - days * 24 * hour).toISOString();
      const answer = await fetch(
        `${server.relbot.url}/api/v1/dora?since=${since}&until=${new Date(now).toISOString()}`,
        { headers: { Authorization: `Bearer ${dashboardTokens.viewer}` } },
      );
      expect(answer.status).toBe(200);
      return (await answer.json()) as Report;
    };
    const drawnBars = () =>
      page.locator("svg#dora-daily g[data-day]").evaluateAll((els) =>
        els.map((el) => ({
          day: el.getAttribute("data-day"),
          deployments: Number(el.getAttribute("data-deployments")),
          failures: Number(el.getAttribute("data-failures")),
        })),
      );
    const tableRows = () =>
      page
        .locator("table.dora tbody tr[data-app]")
        .evaluateAll((els) =>
          els.map((el) => `${el.getAttribute("data-app")} ${el.getAttribute("data-env")}`),
        );
    const thirty = await drawnBars();

    // A link beside the DORA heading, keeping the page's other choices.
    await Promise.all([
      page.waitForURL(/window=7$/),
      page.locator('nav.dora-window a[data-window="7"]').click(),
    ]);
    expect(new URL(page.url()).search).toBe("?window=7");
    const week = await dora(7);
    expect(await page.locator("#dora").innerText()).toBe("Delivery (DORA), last 7 days");
    expect(await page.locator('nav.dora-window a[aria-current="page"]').innerText()).toBe("7 days");
    expect(await drawnBars()).toEqual(week.daily);
    expect(week.daily.length).toBeLessThan(thirty.length);
    expect(week.daily.find((d) => d.day === "2024-05-01")).toEqual({
      day: "2024-05-01",
      deployments: 4,
      failures: 2,
    });
    expect(await tableRows()).toEqual(week.groups.map((g) => `${g.app} ${g.env}`));
    const counts = await page.locator('table.dora tbody td[data-label="deployments"]').allInnerTexts();
    expect(counts.map((text) => Number(text.split(" ")[0]))).toEqual(
      week.groups.map((g) => g.deployments.count),
    );

    // The form's select, with an app: the charts are the API's for that app and window.
    await page.selectOption('select[name="app"]', "billing-svc");
    await page.selectOption('select[name="window"]', "90");
    await Promise.all([page.waitForURL(/window=90/), page.getByRole("button", { name: "Filter" }).click()]);
    expect(new URL(page.url()).search).toBe("?app=billing-svc&env=&status=&window=90");
    const since = new Date(now - 90 * 24 * hour).toISOString();
    const quarter = (await (
      await fetch(
        `${server.relbot.url}/api/v1/dora?app=billing-svc&since=${since}&until=${new Date(now).toISOString()}`,
        {
          headers: { Authorization: `Bearer ${dashboardTokens.viewer}` },
        },
      )
    ).json()) as Report;
    expect(quarter.window.days).toBe(90);
    expect(await drawnBars()).toEqual(quarter.daily);
    expect(quarter.daily.length).toBeGreaterThan(thirty.length);
    expect(await tableRows()).toEqual(quarter.groups.map((g) => `${g.app} ${g.env}`));
    expect(await page.locator('nav.dora-window a[data-window="30"]').getAttribute("href")).toBe(
      "/?app=billing-svc&window=30",
    );

    // A window outside the set is refused and not echoed; the page keeps its one Content-Security-Policy.
    const other = await browser.newPage();
    try {
      for (const bad of ["14", "%3Cscript%3Enope"]) {
        const refused = await other.goto(`${server.relbot.url}/?window=${bad}`);
        expect(refused?.status()).toBe(400);
        expect(await other.locator("#filter-problem").innerText()).toBe(
          "Bad filter: window: one of 7, 30, 90 (days).",
        );
        expect(await other.content()).not.toContain("nope");
      }
      const served = await other.goto(`${server.relbot.url}/?window=7`);
      expect(served?.headers()["content-security-policy"]).toBe(dashboardPolicy);
    } finally {
      await other.close();
    }
    await page.goto(`${server.relbot.url}/`);
  });

  test("a release's page shows its checks, signer, SBOM digest, promotions and trace ids", async () => {
    await Promise.all([
      page.waitForURL(/\/releases\/order-svc\/v1\.1\.0$/),
      cell("order-svc", "dev").locator("a.version").click(),
    ]);
    const facts = await page.locator("dl.facts").innerText();
    expect(facts).toContain("release@acme.test");
    expect(facts).toContain(`sha256:${"d".repeat(64)}`);
    expect(facts).toContain(releaseTrace);
    expect(await page.locator("[data-release-status]").innerText()).toBe("verified");
    expect(await page.locator(".checks, .record p").first().innerText()).toBe("all checks passed");
    expect(await page.locator('dl.facts a[href*="/commit/"]').getAttribute("href")).toBe(
      `https://github.example.com/acme/order-svc/commit/${"c".repeat(40)}`,
    );
    expect(await page.locator(".record h2 a").getAttribute("href")).toBe(
      "https://github.example.com/acme/order-svc/releases/tag/v1.1.0",
    );
    const promotions = page.locator("table.timeline tbody tr");
    expect(await promotions.count()).toBe(2); // into dev, and the denied one into prod
    expect(await promotions.locator("[data-trace] code").getAttribute("title")).toBe(promotionTrace);

    await page.goto(`${server.relbot.url}/releases/billing-svc/v0.4.0`);
    expect(await page.locator("[data-release-status]").innerText()).toBe("rejected");
    expect(await page.locator(".checks").innerText()).toContain(
      "signature_unknown\nsigned by <mallory@evil.test>, not an allowed signer",
    );
    const other = await browser.newPage();
    try {
      for (const path of ["/releases/nope/v1.0.0", "/releases/order-svc/v9.9.9"]) {
        const response = await other.goto(`${server.relbot.url}${path}`);
        expect(response?.status()).toBe(404);
        expect(await other.locator("#not-found").isVisible()).toBe(true);
      }
    } finally {
      await other.close();
    }
    await page.goto(`${server.relbot.url}/`);
  });

  test("on a phone (390 px) nothing scrolls sideways and status and error are on screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const noSidewaysScroll = () =>
      page.evaluate(() => {
        const doc = (globalThis as any).document;
        const boxes = [...doc.querySelectorAll(".scroll")] as any[];
        return {
          page: doc.documentElement.scrollWidth as number,
          boxes: boxes.filter((b) => b.scrollWidth > b.clientWidth).length,
        };
      });
    try {
      await page.goto(`${server.relbot.url}/`);
      await page.screenshot({ path: "/tmp/relbot-dashboard-narrow.png", fullPage: true });
      await page.screenshot({ path: "/tmp/relbot-dashboard-phone.png" }); // what the phone shows first
      expect(await noSidewaysScroll()).toEqual({ page: 390, boxes: 0 });
      // Each of these must lie within the 390 px width: read without scrolling sideways.
      const within = async (locator: ReturnType<Page["locator"]>) => {
        await locator.scrollIntoViewIfNeeded();
        const box = (await locator.boundingBox())!;
        return box.x >= 0 && box.x + box.width <= 390 && (await locator.isVisible());
      };
      const failedCell = cell("billing-svc", "prod").locator('[data-problem="failed"]');
      expect(await within(failedCell.locator(".status"))).toBe(true);
      expect(await within(failedCell.locator(".detail"))).toBe(true);
      expect(await within(cell("order-svc", "staging").locator("[data-deployment] .flag"))).toBe(true);
      const failedRow = page.locator("table.timeline tbody tr").nth(1);
      expect(await within(failedRow.locator(".status"))).toBe(true);
      expect(await within(failedRow.locator(".detail.warn"))).toBe(true);
      expect(await within(page.locator("#status"))).toBe(true);
      expect(await within(page.locator("svg#dora-daily"))).toBe(true);

      await page.goto(`${server.relbot.url}/releases/order-svc/v1.1.0`);
      expect(await noSidewaysScroll()).toEqual({ page: 390, boxes: 0 });
      expect(await within(page.locator("[data-release-status]"))).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${server.relbot.url}/`);
    }
  });

  test("hostile text stays text and the page breaks no CSP rule", async () => {
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    expect(await page.locator("b").count()).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("#status").innerText()).toContain("audit chain intact · 2 events");
    expect(problems).toEqual([]);
  });

  test("the Content-Security-Policy stays strict: no script but the page's own hashed one, nothing loaded", async () => {
    const response = await page.goto(`${server.relbot.url}/`);
    const policy = response?.headers()["content-security-policy"];
    expect(policy).toMatch(
      /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-[A-Za-z0-9+/]+=*'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'$/,
    );
    // The charts are markup: the one script element is the refresh script, inline and allowed by its hash only.
    expect(await page.locator("script").count()).toBe(1);
    expect(await page.locator("script[src]").count()).toBe(0);
    const release = await page.goto(`${server.relbot.url}/releases/order-svc/v1.1.0`);
    expect(release?.headers()["content-security-policy"]).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'$/,
    );
    expect(await page.locator("script").count()).toBe(0);
    await page.goto(`${server.relbot.url}/`);
    expect(problems).toEqual([]);
  });

  test("from elsewhere, the sign-in form leads to the dashboard", async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.7" } });
    try {
      const remote = await context.newPage();
      remote.on("console", (message) => {
        if (message.type() === "error" && !message.text().includes("401")) problems.push(message.text());
      });
      const refused = await remote.goto(`${server.relbot.url}/`);
      expect(refused?.status()).toBe(401);
      await remote.getByLabel("API token").fill(dashboardTokens.viewer);
      await Promise.all([remote.waitForURL(`${server.relbot.url}/`), remote.getByRole("button").click()]);
      expect(await remote.locator("h2#environments").innerText()).toBe("Environments");
      const cookies = await context.cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
        ["relbot_token", true, "Strict"],
      ]);
      expect(await remote.evaluate(() => (globalThis as any).document.cookie)).toBe(""); // HttpOnly: no script can read it

      await Promise.all([
        remote.waitForURL(`${server.relbot.url}/`),
        remote.getByRole("button", { name: "Sign out" }).click(),
      ]);
      expect(await remote.getByLabel("API token").count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
