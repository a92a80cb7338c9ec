// biome-ignore-all lint/performance/useDomNodeTextContent: the rendered text (innerText) is what a person reads, on purpose
// A real browser (Debian's chromium driven by playwright-core) against a real relbot: what a person sees.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { appendEvent, hour, insertPromotion, insertRelease, t0 } from "../http/api/harness.ts";
import { type DashboardRelbot, dashboardTokens, insertDrift, startDashboardRelbot } from "./harness.ts";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
  console.warn(`skipped the dashboard browser test: ${chromiumPath} is missing (apt-get install chromium)`);
}

const screenshot = "/tmp/relbot-dashboard.png";

// evaluate() callbacks run inside chromium, where globalThis is the page's window; this project's types have no
// DOM, so they reach it as (globalThis as any).

describe.skipIf(!haveChromium)("dashboard in chromium", () => {
  let server: DashboardRelbot;
  let browser: Browser;
  let page: Page;
  /** Everything the browser complained about: CSP violations and script errors land here. */
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startDashboardRelbot();
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
    });
    insertPromotion(relbot, {
      createdAt: t0 + 2 * hour,
      env: "dev",
      fromVersion: "v1.0.0",
      toVersion: "v1.1.0",
      gitopsCommit: commit(3),
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
    insertRelease(relbot, { version: "v1.0.0", tagState: "deleted" });
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
    expect(await cellText("order-svc", "prod")).toBe("not promoted yet");
    expect(await cellText("billing-svc", "dev")).toStartWith("v0.3.0");
    expect(await cellText("billing-svc", "prod")).toBe("not promoted yet");
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

  test("the timeline lists promotions newest first with status, actor and commit", async () => {
    const rows = page.locator("table.timeline tbody tr");
    expect(await rows.count()).toBe(6);
    const row = async (i: number) => (await rows.nth(i).locator("td").allInnerTexts()).map((t) => t.trim());
    expect(await row(0)).toEqual([
      "2024-05-01 05:00:00 UTC",
      "billing-svc",
      "prod",
      "none → v0.3.0\npush rejected",
      "bob",
      "cli",
      "failed",
      "none",
    ]);
    expect((await row(2))[4]).toBe("<script>window.pwned=1</script>");
    expect((await row(2))[6]).toBe("denied");
    expect(await row(5)).toEqual([
      "2024-05-01 00:00:00 UTC",
      "order-svc",
      "dev",
      "none → v1.0.0",
      "relbot",
      "webhook",
      "succeeded",
      "1111111",
    ]);
    expect((await row(4))[3]).toBe("none → v1.0.0\nbecause <b>ship it</b>");
    const colours = await rows
      .locator(".status")
      .evaluateAll((els) => els.map((el) => (globalThis as any).getComputedStyle(el).backgroundColor));
    expect(new Set(colours).size).toBe(3); // failed, denied, succeeded each their own colour
  });

  test("on a phone the page does not overflow: the tables scroll inside their boxes", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "/tmp/relbot-dashboard-narrow.png", fullPage: true });
    expect(
      await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("hostile text stays text and the page breaks no CSP rule", async () => {
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined();
    expect(await page.locator("b").count()).toBe(0);
    expect(await page.locator("#status").innerText()).toContain("audit chain intact · 2 events");
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
