import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { answerChatCommand } from "../../src/chatops/answer.ts";
import { formatHistory, formatStatus } from "../../src/chatops/replies.ts";
import { createResponseUrlPoster, slackCommandHandler } from "../../src/chatops/slack.ts";
import { slackSignature } from "../../src/chatops/slack-signature.ts";
import { createHttpApp, type RelbotApp } from "../../src/http/app.ts";
import { enqueuePromotionJob } from "../../src/jobs/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RequestPromotionDeps, requestPromotion } from "../../src/promotion/request.ts";
import { loadEnvironmentStatus, loadPromotionHistory } from "../../src/promotion/status.ts";
import { type Database, openDatabase, promotions } from "../../src/store/index.ts";
import { rememberSlackRequest } from "../../src/store/queries/index.ts";
import { eventually } from "../support/eventually.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { orderSvcApps, seedRelease, seedSucceededPromotion } from "../support/promotion-fixtures.ts";
import { slashBody as slackFormBody } from "../support/relbot-chatops.ts";
import { tempDir } from "../support/temp-dir.ts";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";
const config = orderSvcApps;

let dir: string;
let store: Database;
let slackServer: GitHubApiStub; // a plain recording HTTP server standing in for hooks.slack.com
let app: RelbotApp;
let teamAnswerDelayMs = 0;
const clock = { now: () => Date.now() };

beforeAll(async () => {
  dir = tempDir("relbot-slack-");
  store = await openDatabase(path.join(dir, "relbot.db"));
  slackServer = await startGitHubApi();
  slackServer.on("POST /actions/:team/:id/:token", { status: 200, body: "ok" });
  const now = Date.now();
  for (const version of ["v1.1.0", "v1.2.0"]) seedRelease(store.db, { version, createdAt: now });
  seedSucceededPromotion(store.db, "dev", "v1.2.0", now);

  const promotionDeps: RequestPromotionDeps = {
    db: store.db,
    config,
    clock,
    isTeamMember: (_org, _team, user) =>
      new Promise((resolve) => setTimeout(() => resolve(user === "bob"), teamAnswerDelayMs)),
    enqueue: enqueuePromotionJob,
  };
  app = createHttpApp({ logger: silentLogger });
  // The one route under test, mounted as src/http/routes.ts mounts it.
  app.post(
    "/chatops/slack",
    slackCommandHandler({
      signingSecret: secret,
      users: { U024BE7LH: "alice", U0BOB: "bob", U0CAROL: "carol" },
      clock,
      logger: silentLogger,
      config,
      answerWithinMs: 300,
      rememberRequest: (request) => rememberSlackRequest(store.db, request, clock.now(), 0),
      responseUrl: createResponseUrlPoster({ clock, logger: silentLogger }),
      requestPromotion: (request) => requestPromotion(promotionDeps, request),
      describeStatus: (name) =>
        formatStatus(name, loadEnvironmentStatus(store.db, name, config.apps[name]!.environments)),
      describeHistory: (name, env) => formatHistory(name, env, loadPromotionHistory(store.db, name, env)),
    }),
  );
});
afterAll(async () => {
  store.close();
  await slackServer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Slack's form body for `text`, from the mapped user alice (U024BE7LH) unless told otherwise. */
const slashBody = (text: string, user = "U024BE7LH", responseId = "1") =>
  slackFormBody(slackServer, text, user, responseId);

async function sendSlack(
  body: string,
  options: { timestamp?: number; secret?: string; signedBody?: string } = {},
): Promise<Response> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return app.request("/chatops/slack", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Slack-Request-Timestamp": timestamp,
      "X-Slack-Signature": slackSignature(options.secret ?? secret, timestamp, options.signedBody ?? body),
    },
    body,
  });
}

async function slackText(body: string): Promise<string> {
  const response = await sendSlack(body);
  expect(response.status).toBe(200);
  const json = (await response.json()) as { response_type: string; text: string };
  expect(json.response_type).toBe("ephemeral");
  return json.text;
}

describe("POST /chatops/slack: security", () => {
  test("a stale timestamp is refused with 401 even with a valid signature", async () => {
    const response = await sendSlack(slashBody("help"), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "bad_signature" } });
  });

  test("a timestamp from the future is refused too", async () => {
    const response = await sendSlack(slashBody("help"), { timestamp: Math.floor(Date.now() / 1000) + 400 });
    expect(response.status).toBe(401);
  });

  test("a signature made with another secret is refused with 401", async () => {
    const response = await sendSlack(slashBody("help"), { secret: "not-the-secret" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: "bad_signature", message: "X-Slack-Signature does not match the signing secret" },
    });
  });

  test("a body changed after signing is refused with 401 and nothing is recorded", async () => {
    const before = store.db.select().from(promotions).all().length;
    const response = await sendSlack(slashBody("promote order-svc v1.2.0 to staging"), {
      signedBody: slashBody("help"),
    });
    expect(response.status).toBe(401);
    expect(store.db.select().from(promotions).all().length).toBe(before);
  });

  test("missing headers are refused with 401", async () => {
    const response = await app.request("/chatops/slack", { method: "POST", body: slashBody("help") });
    expect(response.status).toBe(401);
  });

  test("an unknown Slack user is refused with a 200 message naming the setting", async () => {
    const text = await slackText(slashBody("promote order-svc v1.2.0 to staging", "U0MALLORY"));
    expect(text).toContain("U0MALLORY is not known to relbot");
    expect(text).toContain("slack.users");
  });
});

describe("POST /chatops/slack: commands", () => {
  test("help and an empty command answer with the reference", async () => {
    expect(await slackText(slashBody("help"))).toContain("/release promote <app> <version> to <env>");
    expect(await slackText(slashBody(""))).toContain("/release history <app> [<env>]");
  });

  test("a malformed command gets usage help, not silence", async () => {
    const text = await slackText(slashBody("promote order-svc v1.2.0 prod"));
    expect(text).toContain("promote needs an app, a version and `to <env>`");
    expect(text).toContain("/release rollback <app> <env> [to <version>]");
    expect(await slackText(slashBody("deploy everything"))).toContain("unknown command `deploy`");
  });

  test("an unknown environment gets a suggestion", async () => {
    expect(await slackText(slashBody("promote order-svc v1.2.0 to stagin"))).toContain(
      "unknown env `stagin` for order-svc; did you mean `staging`?",
    );
  });

  test("an allowed promotion is queued as the mapped approver and answered", async () => {
    const text = await slackText(slashBody("promote order-svc v1.2.0 to staging because weekly train"));
    expect(text).toMatch(/^Queued promotion of order-svc v1\.2\.0 to staging as prm_/);
    const row = store.db.select().from(promotions).where(eq(promotions.env, "staging")).get();
    expect(row).toMatchObject({ actor: "alice", source: "slack", status: "queued", reason: "weekly train" });
  });

  test("a refused promotion is answered 200 with the reason and recorded as denied", async () => {
    const text = await slackText(slashBody("promote order-svc v1.2.0 to prod", "U0CAROL"));
    expect(text).toBe(
      `Refused promotion of order-svc v1.2.0 to prod: carol may not promote into prod; its approvers are alice, @acme/sre. (\`not_approver\`, ${
        store.db.select().from(promotions).where(eq(promotions.status, "denied")).get()?.id
      })`,
    );
  });

  test("status and history describe the environments", async () => {
    const status = await slackText(slashBody("status order-svc"));
    expect(status).toContain("• dev: `v1.2.0` since");
    expect(status).toContain("• staging: nothing yet, queued `v1.2.0` by alice");
    expect(status).toContain("• prod: nothing yet");
    const history = await slackText(slashBody("history order-svc staging"));
    expect(history).toContain("*order-svc in staging*, newest first:");
    expect(history).toContain("staging (none) → v1.2.0 *queued* by alice (slack) because weekly train");
  });

  test("a slow answer is acknowledged within the deadline and delivered on response_url", async () => {
    teamAnswerDelayMs = 600; // the team membership lookup outlasts answerWithinMs (300 ms)
    try {
      const started = performance.now();
      const text = await slackText(slashBody("promote order-svc v1.2.0 to prod", "U0BOB", "slow"));
      expect(performance.now() - started).toBeLessThan(550);
      expect(text).toBe("Working on `/release promote order-svc v1.2.0 to prod`; the answer follows here.");
      const posted = await eventually("the late answer on response_url", () =>
        slackServer.requests.find((r) => r.path === "/actions/T0001/slow/abcDEF"),
      );
      expect(posted?.headers["content-type"]).toBe("application/json");
      // staging has v1.2.0 only queued, not succeeded, so even an approver is refused.
      expect(posted?.json).toMatchObject({
        response_type: "ephemeral",
        text: expect.stringContaining("has not succeeded in staging yet"),
      });
    } finally {
      teamAnswerDelayMs = 0;
    }
  });
});

describe("response_url posting", () => {
  test("posts JSON and stops after 5 posts per response_url", async () => {
    const poster = createResponseUrlPoster({ clock, logger: silentLogger });
    const url = `${slackServer.url}/actions/T0001/limit/xyz`;
    const results: boolean[] = [];
    for (let i = 1; i <= 6; i++) results.push(await poster.post(url, { text: `update ${i}` }));
    expect(results).toEqual([true, true, true, true, true, false]);
    const received = slackServer.requests.filter((r) => r.path === "/actions/T0001/limit/xyz");
    expect(received.map((r) => (r.json as { text: string }).text)).toEqual([
      "update 1",
      "update 2",
      "update 3",
      "update 4",
      "update 5",
    ]);
    // Another response_url has its own budget.
    expect(await poster.post(`${slackServer.url}/actions/T0001/other/xyz`, { text: "first" })).toBe(true);
  });

  test("a refused or unreachable response_url is reported as false", async () => {
    const poster = createResponseUrlPoster({ clock, logger: silentLogger });
    expect(await poster.post(`${slackServer.url}/not-a-hook`, { text: "x" })).toBe(false);
    expect(await poster.post("http://127.0.0.1:9/unreachable", { text: "x" })).toBe(false);
  });
});

describe("answerChatCommand", () => {
  test("help needs nothing else", async () => {
    const answer = await answerChatCommand({ verb: "help" }, { actor: "x", source: "cli" }, {
      config,
    } as never);
    expect(answer.text).toContain("Usage:");
  });
});
