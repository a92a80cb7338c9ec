// biome-ignore-all lint/performance/useDomNodeTextContent: the rendered text (innerText) is what a person reads, on purpose
// Approving from the dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
// relbot: a signed-in approver sees the promotion awaiting approval and approves it with the button (a form POST
// with the session's CSRF token); the same POST without the token, or with another session's, is refused; the
// requester's own approval is refused as in chat. The section follows the dashboard's app and environment filter
// (and says the status filter is the timeline's).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, promotions } from "../../src/store/index.ts";
import { insertPromotion, insertRelease, t0 } from "../http/api/harness.ts";
import { offlineApp, startLoggedRelbot } from "../support/logged-relbot.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
const tokens = { alice: "alice-secret-0c1d2e", bob: "bob-secret-9f8e7d", viewer: "viewer-secret-77aa11" };

describe.skipIf(!haveChromium)("approvals on the dashboard", () => {
  let relbot: RunningRelbot;
  let configFile: string;
  let browser: Browser;
  let promotionId: string;
  let billingId: string;

  beforeAll(async () => {
    configFile = writeTestConfig({
      gitopsUrl: "http://127.0.0.1:9/gitops.git",
      files: { allowed_signers: "" },
      apps: {
        "order-svc": offlineApp("order-svc", [
          { name: "staging", file: "envs/staging/order-svc.yaml" },
          { name: "prod", file: "envs/prod/order-svc.yaml", approvers: ["alice", "bob"], approvals: 1 },
        ]),
        "billing-svc": offlineApp("billing-svc", [
          { name: "prod", file: "envs/prod/billing-svc.yaml", approvers: ["alice", "bob"], approvals: 1 },
        ]),
      },
      extra: {
        reconcile: { interval: 0 },
        api: {
          tokens: [
            { name: "alice", tokenEnv: "T_ALICE", scopes: ["read", "promote"] },
            { name: "bob", tokenEnv: "T_BOB", scopes: ["read", "promote"] },
            { name: "viewer", tokenEnv: "T_VIEWER", scopes: ["read"] },
          ],
        },
      },
    });
    ({ relbot } = await startLoggedRelbot({
      configFile,
      env: { T_ALICE: tokens.alice, T_BOB: tokens.bob, T_VIEWER: tokens.viewer },
    }));
    insertRelease(relbot, { version: "v1.0.0" });
    insertPromotion(relbot, { createdAt: t0, env: "staging", toVersion: "v1.0.0", status: "succeeded" });
    const asked = await fetch(`${relbot.url}/api/v1/promotions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.alice}`, "Content-Type": "application/json" },
      body: JSON.stringify({ app: "order-svc", version: "v1.0.0", env: "prod", reason: "launch" }),
    });
    expect(asked.status).toBe(202);
    promotionId = ((await asked.json()) as { id: string }).id;
    billingId = insertPromotion(relbot, {
      createdAt: t0 + 1000,
      app: "billing-svc",
      env: "prod",
      toVersion: "v0.3.0",
      actor: "carol",
      source: "slack",
      status: "awaiting-approval",
      finishedAt: null,
      approvalsRequired: 1,
      approvals: [],
    }).id;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await relbot?.stop();
    if (configFile) rmSync(path.dirname(configFile), { recursive: true, force: true });
  });

  async function signedIn(token: string): Promise<BrowserContext> {
    // From "elsewhere" (a forwarding header), so the dashboard asks for a token and sets the session cookie.
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.7" } });
    const page = await context.newPage();
    await page.goto(`${relbot.url}/`);
    await page.getByLabel("API token").fill(token);
    await Promise.all([page.waitForURL(`${relbot.url}/`), page.getByRole("button").click()]);
    return context;
  }

  const status = () =>
    relbot.database.db.select().from(promotions).where(eq(promotions.id, promotionId)).get()!.status;

  test("a read-only session sees the request but no buttons", async () => {
    const context = await signedIn(tokens.viewer);
    try {
      const page = context.pages()[0]!;
      const row = page.locator(`table.approvals tr[data-promotion="${promotionId}"]`);
      expect(await row.textContent()).toContain("alice");
      expect(await row.locator("button").count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test("the section follows the app and environment filter; the status filter is the timeline's", async () => {
    const context = await signedIn(tokens.bob);
    try {
      const page = context.pages()[0]!;
      const shown = () =>
        page
          .locator("table.approvals tr[data-promotion]")
          .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-promotion")));
      expect((await shown()).sort()).toEqual([billingId, promotionId].sort());
      await page.selectOption('select[name="app"]', "billing-svc");
      await Promise.all([page.waitForURL(/\?/), page.getByRole("button", { name: "Filter" }).click()]);
      expect(await shown()).toEqual([billingId]);
      expect(await page.locator("#approvals").innerText()).toBe("Awaiting approval (billing-svc only)");
      expect(await page.locator("#approvals-elsewhere").innerText()).toBe(
        "1 awaiting approval outside it (show all).",
      );
      // The filtered row still approves with its own button.
      expect(
        await page.locator(`tr[data-promotion="${billingId}"] button[data-action="approve"]`).isVisible(),
      ).toBe(true);

      await page.goto(`${relbot.url}/?env=staging`);
      expect(await page.locator("table.approvals").count()).toBe(0);
      expect(await page.locator("#approvals-elsewhere").innerText()).toBe(
        "None for this filter; 2 awaiting approval outside it (show all).",
      );
      await Promise.all([page.waitForURL(`${relbot.url}/`), page.locator("#approvals-elsewhere a").click()]);
      expect(await shown()).toHaveLength(2);

      await page.goto(`${relbot.url}/?status=failed`);
      expect(await page.locator("#approvals-status-note").isVisible()).toBe(true);
      expect(await page.locator("#approvals-status-note").innerText()).toBe(
        "The status filter narrows the timeline only: everything here is awaiting-approval.",
      );
      expect(await shown()).toHaveLength(2);
    } finally {
      await context.close();
    }
  });

  test("on a phone (390 px) the request and its buttons fit the screen", async () => {
    const context = await signedIn(tokens.bob);
    try {
      const page = context.pages()[0]!;
      await page.setViewportSize({ width: 390, height: 844 });
      expect(
        await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(390);
      const row = page.locator(`table.approvals tr[data-promotion="${promotionId}"]`);
      expect(await row.locator('td[data-label="version"] a').getAttribute("href")).toBe(
        "/releases/order-svc/v1.0.0",
      );
      for (const action of ["approve", "reject"]) {
        const button = row.locator(`button[data-action="${action}"]`);
        await button.scrollIntoViewIfNeeded();
        const box = (await button.boundingBox())!;
        expect(box.x >= 0 && box.x + box.width <= 390).toBe(true);
      }
    } finally {
      await context.close();
    }
  });

  test("without the CSRF token, with another session's, or as the requester: refused, nothing changes", async () => {
    const alice = await signedIn(tokens.alice);
    const bob = await signedIn(tokens.bob);
    try {
      const alicePage = alice.pages()[0]!;
      const aliceCsrf = await alicePage
        .locator(`table.approvals tr[data-promotion="${promotionId}"] input[name="csrf"]`)
        .first()
        .getAttribute("value");
      // A same-origin POST from bob's page, so only the CSRF token differs between these and the button.
      const post = (fields: Record<string, string>) =>
        bob.pages()[0]!.evaluate(
          async ({ url, fields }) => {
            const response = await fetch(url, { method: "POST", body: new URLSearchParams(fields) });
            return response.status;
          },
          { url: `${relbot.url}/dashboard/promotions/${promotionId}/approve`, fields },
        );
      expect(await post({})).toBe(403);
      expect(await post({ csrf: aliceCsrf! })).toBe(403);
      expect(status()).toBe("awaiting-approval");

      // The requester's own button is there, and refused like her own /release approve.
      const [response] = await Promise.all([
        alicePage.waitForResponse((r) => r.url().includes("/approve")),
        alicePage
          .locator(`table.approvals tr[data-promotion="${promotionId}"] button[data-action="approve"]`)
          .click(),
      ]);
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain("approval.own_request");
      expect(status()).toBe("awaiting-approval");
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  test("another approver's button approves it: queued, an audit event with the approver", async () => {
    const bob = await signedIn(tokens.bob);
    try {
      const page = bob.pages()[0]!;
      await Promise.all([
        page.waitForURL(`${relbot.url}/`),
        page
          .locator(`table.approvals tr[data-promotion="${promotionId}"] button[data-action="approve"]`)
          .click(),
      ]);
      expect(status()).not.toBe("awaiting-approval");
      const approved = relbot.database.db
        .select()
        .from(auditEvents)
        .all()
        .filter((e) => e.kind === "promotion.approved" && e.subject === `promotion:${promotionId}`);
      expect(approved.map((e) => e.actor)).toEqual(["bob"]);
      expect(await page.locator(`table.approvals tr[data-promotion="${promotionId}"]`).count()).toBe(0);
    } finally {
      await bob.close();
    }
  });
});
