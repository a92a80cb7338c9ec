// Deployment feedback in chat, through relbot's real pipeline (signed tags, release checks, GitOps pushes on a real
// git server) with Argo CD's API, GitHub's REST API and Slack's response_url stood in: whoever asked in Slack or in a
// GitHub comment is told whether Argo CD ran the release healthy or degraded (a second message after the push), and
// `/release status` / `/release history` show each environment's deployment state and pushed -> healthy time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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

let p: ArgocdPipeline;
let slack: GitHubApiStub;
const comments = new Map<string, IssueComment[]>();

beforeAll(async () => {
  slack = await startGitHubApi();
  slack.on("POST /actions/:team/:id/:token", { status: 200, body: "ok" });
  p = await createArgocdPipeline({
    environments: [
      { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
      { name: "staging", file: "envs/staging/order-svc.yaml", onDegraded: "rollback" },
      { name: "prod", file: "envs/prod/order-svc.yaml" },
    ],
    applications: ["dev", "staging"],
    configure: (raw) => {
      raw.slack = { signingSecretEnv: "SLACK_SIGNING_SECRET", users: slackUsers };
      // The recorded comments come from acme/order-svc on github.com; the app's repository is the local git server.
      raw.github.commandRepos = ["acme/order-svc"];
    },
    env: { SLACK_SIGNING_SECRET: slackSecret },
  });
  standInForGitHub(p.world.github, comments);
});
afterAll(async () => {
  await p?.dispose();
  await slack?.close();
});

/** What relbot posted to a response_url, in order. */
const slackPosts = (responseId: string) =>
  slack.requests
    .filter((r) => r.method === "POST" && r.path === new URL(responseUrl(slack, responseId)).pathname)
    .map((r) => (r.json as { text: string }).text);
const slackText = async (text: string, responseId: string) => {
  const answer = await sendSlack(p.relbot.url, slashBody(slack, text, "U0ALICE", responseId));
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { text: string }).text;
};
const issueReplies = () => (comments.get("acme/order-svc#42") ?? []).map((c) => c.body);
async function comment(text: string, login = "carol"): Promise<string> {
  const before = issueReplies().length;
  expect((await deliver(p.relbot.url, "issue_comment", issueComment(text, { login }))).status).toBe(202);
  return eventually(`relbot's answer to ${text}`, () => issueReplies()[before]);
}

describe("the requester is told how the deployment ended", () => {
  test("Slack: pushed, then deployed and healthy with the time it took, on the same response_url", async () => {
    await p.healthyInDev("v1.4.0");
    const queued = await slackText("promote order-svc v1.4.0 to staging", "slack-1");
    expect(queued).toContain("Queued promotion of order-svc v1.4.0 to staging");
    // A second message is coming, and the answer says so.
    expect(queued).toContain(
      "I will report when the GitOps commit is pushed, and again when Argo CD runs it healthy (or not).",
    );
    expect(await slackText("help", "slack-help")).toContain(
      "An environment takes a version only after it ran healthy in the one before it",
    );
    const staging = await p.promotionIn("staging", "v1.4.0", (p) => p.deploymentState === "pending");
    await eventually("the push notice", () => slackPosts("slack-1").length === 1);
    expect(slackPosts("slack-1")[0]).toContain(`GitOps commit \`${staging.gitopsCommit}\` pushed.`);
    p.sync("staging", "v1.4.0", "Healthy");
    await eventually("the deployment notice", () => slackPosts("slack-1").length === 2);
    expect(slackPosts("slack-1")[1]).toMatch(
      new RegExp(
        `^order-svc v1\\.4\\.0 in staging is deployed and healthy, \\d+ (s|min)[^.]* after the push\\. \\(${staging.id}\\)$`,
      ),
    );
  }, 60_000);

  test("GitHub comment: degraded is told on the issue, to the commenter, with Argo CD's message", async () => {
    await p.healthyInDev("v1.5.0");
    expect(await comment("/release promote order-svc v1.5.0 to staging")).toContain(
      "@carol Queued promotion of order-svc v1.5.0 to staging",
    );
    const staging = await p.promotionIn("staging", "v1.5.0", (p) => p.deploymentState === "pending");
    await eventually("the push notice", () =>
      issueReplies().find((body) => body.includes(`GitOps commit \`${staging.gitopsCommit}\` pushed.`)),
    );
    p.sync("staging", "v1.5.0", "Degraded", "Back-off pulling image");
    const notice = await eventually("the deployment notice", () =>
      issueReplies().find((body) => body.includes(`deployment-notice-${staging.id}`)),
    );
    expect(notice).toStartWith(
      `@carol order-svc v1.5.0 in staging is degraded (Argo CD: health Degraded: Back-off pulling image). (${staging.id}) relbot is rolling staging back to the last version healthy there (onDegraded: rollback).`,
    );
    // One notice per outcome, however often the watch looks afterwards.
    const rounds = p.relbot.deployments!.rounds;
    await eventually("a few more rounds of the watch", () => p.relbot.deployments!.rounds > rounds + 3);
    expect(issueReplies().filter((body) => body.includes(`deployment-notice-${staging.id}`))).toHaveLength(1);
  }, 60_000);
});

describe("/release status and /release history show the deployment", () => {
  test("in Slack and in a GitHub comment: healthy with pushed -> healthy time, degraded with Argo CD's words", async () => {
    const healthy = await p.promotionIn("staging", "v1.4.0");
    const took = Math.round((healthy.deployedAt! - healthy.finishedAt!) / 1000);
    expect(took).toBeGreaterThanOrEqual(0);
    // v1.5.0 turned degraded in staging, and relbot rolled it back to v1.4.0 (Argo CD has not run that yet).
    await p.promotionIn("staging", "v1.4.0", (row) => row.kind === "rollback" && row.status === "succeeded");
    const status = await slackText("status order-svc", "slack-status");
    expect(status).toMatch(/• dev: `v1\.5\.0` since .* by relbot, healthy \d+ (s|min)[^,\n]* after the push/);
    expect(status).toMatch(/• staging: `v1\.4\.0` \(rolled back\) since .* by relbot, deployment pending/);
    const history = await slackText("history order-svc staging", "slack-history");
    expect(history).toContain(
      "staging v1.4.0 → v1.5.0 *succeeded*, degraded (Argo CD: health Degraded: Back-off pulling image) by carol (github)",
    );
    expect(history).toMatch(
      /staging v1\.3\.0 → v1\.4\.0 \*succeeded\*, healthy \d+ (s|min)[^ ]* after the push by alice \(slack\)/,
    );

    const onGitHub = await comment("/release history order-svc staging");
    expect(onGitHub).toContain(
      "*succeeded*, degraded (Argo CD: health Degraded: Back-off pulling image) by carol",
    );
    expect(await comment("/release status order-svc")).toMatch(
      /• staging: `v1\.4\.0` \(rolled back\) since .* by relbot, deployment pending/,
    );
  }, 60_000);
});
