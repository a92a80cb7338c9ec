// The rollback's outcome told to whoever asked for the release it undid (onDegraded: rollback), through relbot's
// real pipeline (signed tags, release checks, GitOps pushes on a real git server) with Argo CD's API (answers
// validated against its swagger), GitHub's REST API, Slack's response_url and a Slack incoming webhook stood in.
// The requester hears: pushed, degraded (a rollback is under way), and then, once, how the rollback ended, on the
// channel they asked on; past Slack's 30 minutes for a response_url, in the channel that follows degraded
// deployments, addressed to them; when relbot made no rollback, why. Exactly once across restarts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs, promotions } from "../../src/store/index.ts";
import { type ArgocdPipeline, createArgocdPipeline } from "../support/argocd-pipeline.ts";
import { eventually } from "../support/eventually.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import {
  type IssueComment,
  issueComment,
  responseUrl,
  sendSlack,
  slackSecret,
  slackUsers,
  slashBody,
  standInForGitHub,
} from "../support/relbot-chatops.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import { type SlackWebhookStandIn, startSlackWebhook } from "../support/slack-incoming-webhook.ts";

let p: ArgocdPipeline;
let slack: GitHubApiStub;
let channel: SlackWebhookStandIn;
const comments = new Map<string, IssueComment[]>();
/** Added to relbot's clock: a test moves relbot's time on instead of waiting half an hour. */
let skewMs = 0;

beforeAll(async () => {
  slack = await startGitHubApi();
  // "slack-used" plays a response_url that has had its posts: Slack refuses the third (404 used_url).
  let usedPosts = 0;
  slack.on("POST /actions/:team/:id/:token", (_request, { id }) =>
    id === "slack-used" && ++usedPosts > 2
      ? { status: 404, headers: { "Content-Type": "text/plain" }, body: "used_url" }
      : { status: 200, body: "ok" },
  );
  channel = await startSlackWebhook();
  p = await createArgocdPipeline({
    environments: [
      { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
      { name: "staging", file: "envs/staging/order-svc.yaml", onDegraded: "rollback" },
      { name: "prod", file: "envs/prod/order-svc.yaml", onDegraded: "rollback" },
    ],
    applications: ["dev", "staging", "prod"],
    configure: (raw) => {
      raw.slack = { signingSecretEnv: "SLACK_SIGNING_SECRET", users: slackUsers };
      raw.github.commandRepos = ["acme/order-svc"];
      raw.notifications = [
        {
          slack: { webhookEnv: "SLACK_WEBHOOK_RELEASES" },
          events: ["deployment.degraded"],
          apps: ["order-svc"],
        },
      ];
    },
    env: { SLACK_SIGNING_SECRET: slackSecret, SLACK_WEBHOOK_RELEASES: channel.urlFor("releases") },
    relbot: { clock: { now: () => Date.now() + skewMs } },
  });
  standInForGitHub(p.world.github, comments);
});
afterAll(async () => {
  await p?.dispose();
  await slack?.close();
  await channel?.close();
});

const slackPosts = (responseId: string) =>
  slack.requests
    .filter((r) => r.method === "POST" && r.path === new URL(responseUrl(slack, responseId)).pathname)
    .map((r) => (r.json as { text: string }).text);
async function slackText(text: string, responseId: string): Promise<string> {
  const answer = await sendSlack(p.relbot.url, slashBody(slack, text, "U0ALICE", responseId));
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { text: string }).text;
}
const issueReplies = () => (comments.get("acme/order-svc#42") ?? []).map((c) => c.body);
/** The rollback notice jobs stored for a degraded promotion (one, however often it was queued). */
const rollbackNoticeJobs = (degradedId: string) =>
  p.relbot.database.db
    .select()
    .from(jobs)
    .where(eq(jobs.dedupKey, `rollback-notice:${degradedId}`))
    .all();
async function someWatchRounds(): Promise<void> {
  const rounds = p.relbot.deployments!.rounds;
  await eventually("a few more rounds of the watch", () => p.relbot.deployments!.rounds > rounds + 3);
}
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the requester of a degraded release hears how relbot's rollback ended", () => {
  test("Slack: the rollback pushed and then healthy, told once on the same response_url, across restarts", async () => {
    // v1.4.0 runs healthy in staging: the version a rollback goes back to.
    await p.healthyInDev("v1.4.0");
    await slackText("promote order-svc v1.4.0 to staging", "slack-0");
    await p.promotionIn("staging", "v1.4.0", (row) => row.deploymentState === "pending");
    p.sync("staging", "v1.4.0", "Healthy");
    await p.promotionIn("staging", "v1.4.0", (row) => row.deploymentState === "healthy");

    await p.healthyInDev("v1.5.0");
    await slackText("promote order-svc v1.5.0 to staging", "slack-1");
    const degraded = await p.promotionIn("staging", "v1.5.0", (row) => row.deploymentState === "pending");
    p.sync("staging", "v1.5.0", "Degraded", "CrashLoopBackOff");
    await eventually("the degraded notice", () => slackPosts("slack-1").length === 2);
    expect(slackPosts("slack-1")[1]).toContain("relbot is rolling staging back");
    const rollback = await p.promotionIn(
      "staging",
      "v1.4.0",
      (row) => row.kind === "rollback" && row.deploymentState === "pending",
    );
    // Pushed but not yet run: nothing told yet (the notice waits for Argo CD's verdict), and relbot restarts.
    expect(rollbackNoticeJobs(degraded.id)).toHaveLength(0);
    await p.restart();
    p.sync("staging", "v1.4.0", "Healthy");
    await eventually("the rollback notice", () => slackPosts("slack-1").length === 3);
    const healthy = await p.promotionIn("staging", "v1.4.0", (row) => row.id === rollback.id);
    expect(healthy.deploymentState).toBe("healthy");
    expect(slackPosts("slack-1")[2]).toMatch(
      new RegExp(
        `^order-svc v1\\.5\\.0 turned degraded in staging \\(${degraded.id}\\); relbot rolled staging back to v1\\.4\\.0: ` +
          `GitOps commit \`${healthy.gitopsCommit}\` pushed, and Argo CD runs it healthy, \\d+ (s|min)[^.]* after the push\\. \\(${rollback.id}\\)$`,
      ),
    );
    // Once: more rounds of the watch and another restart send nothing more.
    await p.restart();
    await someWatchRounds();
    expect(slackPosts("slack-1")).toHaveLength(3);
    expect(rollbackNoticeJobs(degraded.id)).toHaveLength(1);
    expect(rollbackNoticeJobs(degraded.id)[0]!.status).toBe("succeeded");
    // The channel heard the degraded event as usual, and no rollback notice: the requester was reachable.
    expect(channel.accepted("releases").some((m) => m.text.includes("<@U0ALICE>"))).toBe(false);
  }, 90_000);

  test("GitHub comment: the rollback turned degraded too, told on the issue with the @mention", async () => {
    await p.healthyInDev("v1.6.0");
    expect(
      (
        await deliver(
          p.relbot.url,
          "issue_comment",
          issueComment("/release promote order-svc v1.6.0 to staging", { login: "carol" }),
        )
      ).status,
    ).toBe(202);
    const degraded = await p.promotionIn("staging", "v1.6.0", (row) => row.deploymentState === "pending");
    p.sync("staging", "v1.6.0", "Degraded", "Back-off pulling image");
    const rollback = await p.promotionIn(
      "staging",
      "v1.4.0",
      (row) =>
        row.kind === "rollback" && row.createdAt > degraded.createdAt && row.deploymentState === "pending",
    );
    p.sync("staging", "v1.4.0", "Degraded", "OOMKilled");
    const notice = await eventually("the rollback notice", () =>
      issueReplies().find((body) => body.includes(`rollback-notice-${degraded.id}`)),
    );
    const pushed = await p.promotionIn("staging", "v1.4.0", (row) => row.id === rollback.id);
    expect(notice).toStartWith(
      `@carol order-svc v1.6.0 turned degraded in staging (${degraded.id}); relbot rolled staging back to v1.4.0: ` +
        `GitOps commit \`${pushed.gitopsCommit}\` pushed, but v1.4.0 is degraded too (Argo CD: health Degraded: OOMKilled). (${rollback.id})`,
    );
    await someWatchRounds();
    expect(issueReplies().filter((body) => body.includes(`rollback-notice-${degraded.id}`))).toHaveLength(1);
  }, 90_000);

  test("Slack refuses the response_url (used up): the channel following degraded deployments has it", async () => {
    await p.healthyInDev("v1.6.5");
    await slackText("promote order-svc v1.6.5 to staging", "slack-used");
    const degraded = await p.promotionIn("staging", "v1.6.5", (row) => row.deploymentState === "pending");
    p.sync("staging", "v1.6.5", "Degraded", "CrashLoopBackOff");
    await eventually("the degraded notice", () => slackPosts("slack-used").length === 2);
    const rollback = await p.promotionIn(
      "staging",
      "v1.4.0",
      (row) =>
        row.kind === "rollback" && row.createdAt > degraded.createdAt && row.deploymentState === "pending",
    );
    p.sync("staging", "v1.4.0", "Healthy");
    const message = await eventually("the rollback notice in the channel", () =>
      channel.accepted("releases").find((m) => m.text.includes(`(${degraded.id})`)),
    );
    expect(message.text).toStartWith(
      `<@U0ALICE>: order-svc v1.6.5 turned degraded in staging (${degraded.id}); relbot rolled staging back to v1.4.0: `,
    );
    expect(message.text).toEndWith(`after the push. (${rollback.id})`);
    // Tried once on the response_url (refused), then the channel: one message there.
    expect(slackPosts("slack-used")).toHaveLength(3);
    await eventually(
      "the notice job's end",
      () => rollbackNoticeJobs(degraded.id)[0]?.status === "succeeded",
    );
    await someWatchRounds();
    expect(channel.accepted("releases").filter((m) => m.text.includes(`(${degraded.id})`))).toHaveLength(1);
  }, 90_000);

  test("Slack past 30 minutes: the rollback's timeout goes to the channel following degraded deployments, to the requester", async () => {
    await p.healthyInDev("v1.7.0");
    await slackText("promote order-svc v1.7.0 to staging", "slack-3");
    const degraded = await p.promotionIn("staging", "v1.7.0", (row) => row.deploymentState === "pending");
    p.sync("staging", "v1.7.0", "Degraded", "readiness probe failed");
    await eventually("the degraded notice", () => slackPosts("slack-3").length === 2);
    const rollback = await p.promotionIn(
      "staging",
      "v1.4.0",
      (row) =>
        row.kind === "rollback" && row.createdAt > degraded.createdAt && row.deploymentState === "pending",
    );
    // Argo CD never runs the rollback, and 31 minutes pass: the rollback times out (argocd.timeout is 10m), when
    // the response_url no longer takes posts.
    skewMs = 31 * 60_000;
    const message = await eventually("the rollback notice in the channel", () =>
      channel.accepted("releases").find((m) => m.text.includes(`(${degraded.id})`)),
    );
    expect(message.text).toMatch(
      new RegExp(
        `^<@U0ALICE>: order-svc v1\\.7\\.0 turned degraded in staging \\(${degraded.id}\\); relbot rolled staging back to v1\\.4\\.0: ` +
          `GitOps commit \`[0-9a-f]{40}\` pushed, but it did not turn healthy in time \\(Argo CD: .+\\)\\. \\(${escaped(rollback.id)}\\)$`,
      ),
    );
    expect(message.blocks[0].text.text).toBe(message.text);
    // The job's own end is written just after Slack took the message.
    await eventually(
      "the notice job's end",
      () => rollbackNoticeJobs(degraded.id)[0]?.status === "succeeded",
    );
    expect(rollbackNoticeJobs(degraded.id)).toHaveLength(1);
    // Not tried on the stale response_url at all.
    expect(slackPosts("slack-3")).toHaveLength(2);
    await someWatchRounds();
    expect(channel.accepted("releases").filter((m) => m.text.includes(`(${degraded.id})`))).toHaveLength(1);
  }, 90_000);

  test("no rollback made (nothing else was ever healthy there): the requester is told why, once", async () => {
    // v1.4.0 ran healthy in staging (the first test); prod has never run anything healthy.
    expect(
      (
        await deliver(
          p.relbot.url,
          "issue_comment",
          issueComment("/release promote order-svc v1.4.0 to prod", { login: "carol" }),
        )
      ).status,
    ).toBe(202);
    const degraded = await p.promotionIn("prod", "v1.4.0", (row) => row.deploymentState === "pending");
    p.sync("prod", "v1.4.0", "Degraded", "ImagePullBackOff");
    // The degraded notice does not promise a rollback relbot cannot make.
    const degradedNotice = await eventually("the degraded notice", () =>
      issueReplies().find((body) => body.includes(`deployment-notice-${degraded.id}`)),
    );
    expect(degradedNotice).toContain("order-svc v1.4.0 in prod is degraded");
    expect(degradedNotice).not.toContain("rolling");
    const notice = await eventually("the rollback notice", () =>
      issueReplies().find((body) => body.includes(`rollback-notice-${degraded.id}`)),
    );
    expect(notice).toStartWith(
      `@carol order-svc v1.4.0 turned degraded in prod (${degraded.id}), and relbot did not roll it back: no version other than v1.4.0 was ever healthy in prod.`,
    );
    expect(
      p.relbot.database.db
        .select()
        .from(promotions)
        .all()
        .filter((row) => row.env === "prod" && row.kind === "rollback"),
    ).toHaveLength(0);
    await someWatchRounds();
    expect(issueReplies().filter((body) => body.includes(`rollback-notice-${degraded.id}`))).toHaveLength(1);
  }, 90_000);
});
