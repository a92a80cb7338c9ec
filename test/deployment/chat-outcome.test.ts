// Deployment feedback in chat, through relbot's real pipeline (signed tags, release checks, GitOps pushes on a real
// git server) with Argo CD's API, GitHub's REST API and Slack's response_url stood in: whoever asked in Slack or in a
// GitHub comment is told whether Argo CD ran the release healthy or degraded (a second message after the push), and
// `/release status` / `/release history` show each environment's deployment state and pushed -> healthy time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import type { PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { commitFiles } from "../support/git.ts";
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
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let argocd: ArgocdStandIn;
let slack: GitHubApiStub;
let relbot: RunningRelbot;
const comments = new Map<string, IssueComment[]>();
const commits: Record<string, string> = {};

beforeAll(async () => {
  argocd = await startArgocdApi();
  slack = await startGitHubApi();
  slack.on("POST /actions/:team/:id/:token", { status: 200, body: "ok" });
  world = await createPipelineWorld({
    apps: (repo) => ({
      "order-svc": {
        repo,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml" },
          { name: "prod", file: "envs/prod/order-svc.yaml" },
        ],
      },
    }),
  });
  standInForGitHub(world.github, comments);
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout: "10m", pollInterval: "100ms" };
  raw.slack = { signingSecretEnv: "SLACK_SIGNING_SECRET", users: slackUsers };
  // The recorded comments come from acme/order-svc on github.com; the app's repository here is the local git server.
  raw.github.commandRepos = ["acme/order-svc"];
  writeFileSync(world.configFile, stringify(raw));
  for (const env of ["dev", "staging"]) {
    const app = argocdApplication({
      name: `order-svc-${env}`,
      repoURL: world.source.url,
      targetRevision: "v1.3.0",
    });
    syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
    argocd.setApplication(app);
  }
  world.env.ARGOCD_TOKEN = argocd.token;
  world.env.SLACK_SIGNING_SECRET = slackSecret;
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  await argocd?.close();
  await slack?.close();
});

const db = () => relbot.database.db;
const promotionIn = (env: string, version: string, test: (p: PromotionRow) => boolean = () => true) =>
  eventually(`${version} in ${env}`, () =>
    promotionsOf(db(), "order-svc").find((p) => p.env === env && p.toVersion === version && test(p)),
  );
const sync = (env: string, version: string, health: string, message?: string) =>
  argocd.updateApplication(`order-svc-${env}`, "argocd", (app) =>
    syncedTo(app, commits[version]!, health, { phase: "Succeeded", message }),
  );

async function healthyInDev(version: string): Promise<void> {
  commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
  world.publishGitHubRelease(version);
  const object = await world.releaseTag(version);
  expect((await deliver(relbot.url, "push", world.pushEvent(version, object))).status).toBe(202);
  await promotionIn("dev", version, (p) => p.deploymentState === "pending");
  sync("dev", version, "Healthy");
  await promotionIn("dev", version, (p) => p.deploymentState === "healthy");
}

/** What relbot posted to a response_url, in order. */
const slackPosts = (responseId: string) =>
  slack.requests
    .filter((r) => r.method === "POST" && r.path === new URL(responseUrl(slack, responseId)).pathname)
    .map((r) => (r.json as { text: string }).text);
const slackText = async (text: string, responseId: string) => {
  const answer = await sendSlack(relbot.url, slashBody(slack, text, "U0ALICE", responseId));
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { text: string }).text;
};
const issueReplies = () => (comments.get("acme/order-svc#42") ?? []).map((c) => c.body);
async function comment(text: string, login = "carol"): Promise<string> {
  const before = issueReplies().length;
  expect((await deliver(relbot.url, "issue_comment", issueComment(text, { login }))).status).toBe(202);
  return eventually(`relbot's answer to ${text}`, () => issueReplies()[before]);
}

describe("the requester is told how the deployment ended", () => {
  test("Slack: pushed, then deployed and healthy with the time it took, on the same response_url", async () => {
    await healthyInDev("v1.4.0");
    expect(await slackText("promote order-svc v1.4.0 to staging", "slack-1")).toContain(
      "Queued promotion of order-svc v1.4.0 to staging",
    );
    const staging = await promotionIn("staging", "v1.4.0", (p) => p.deploymentState === "pending");
    await eventually("the push notice", () => slackPosts("slack-1").length === 1);
    expect(slackPosts("slack-1")[0]).toContain(`GitOps commit \`${staging.gitopsCommit}\` pushed.`);
    sync("staging", "v1.4.0", "Healthy");
    await eventually("the deployment notice", () => slackPosts("slack-1").length === 2);
    expect(slackPosts("slack-1")[1]).toMatch(
      new RegExp(
        `^order-svc v1\\.4\\.0 in staging is deployed and healthy, \\d+ (s|min)[^.]* after the push\\. \\(${staging.id}\\)$`,
      ),
    );
  }, 60_000);

  test("GitHub comment: degraded is told on the issue, to the commenter, with Argo CD's message", async () => {
    await healthyInDev("v1.5.0");
    expect(await comment("/release promote order-svc v1.5.0 to staging")).toContain(
      "@carol Queued promotion of order-svc v1.5.0 to staging",
    );
    const staging = await promotionIn("staging", "v1.5.0", (p) => p.deploymentState === "pending");
    await eventually("the push notice", () =>
      issueReplies().find((body) => body.includes(`GitOps commit \`${staging.gitopsCommit}\` pushed.`)),
    );
    sync("staging", "v1.5.0", "Degraded", "Back-off pulling image");
    const notice = await eventually("the deployment notice", () =>
      issueReplies().find((body) => body.includes(`deployment-notice-${staging.id}`)),
    );
    expect(notice).toStartWith(
      `@carol order-svc v1.5.0 in staging is degraded (Argo CD: health Degraded: Back-off pulling image). (${staging.id})`,
    );
    // One notice per outcome, however often the watch looks afterwards.
    const rounds = relbot.deployments!.rounds;
    await eventually("a few more rounds of the watch", () => relbot.deployments!.rounds > rounds + 3);
    expect(issueReplies().filter((body) => body.includes(`deployment-notice-${staging.id}`))).toHaveLength(1);
  }, 60_000);
});

describe("/release status and /release history show the deployment", () => {
  test("in Slack and in a GitHub comment: healthy with pushed -> healthy time, degraded with Argo CD's words", async () => {
    const healthy = await promotionIn("staging", "v1.4.0");
    const took = Math.round((healthy.deployedAt! - healthy.finishedAt!) / 1000);
    expect(took).toBeGreaterThanOrEqual(0);
    const status = await slackText("status order-svc", "slack-status");
    // staging runs v1.5.0 now (pushed; Argo CD says degraded); dev runs it healthy.
    expect(status).toMatch(/• dev: `v1\.5\.0` since .* by relbot, healthy \d+ (s|min)[^,\n]* after the push/);
    expect(status).toContain("by carol, degraded (Argo CD: health Degraded: Back-off pulling image)");
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
    expect(await comment("/release status order-svc")).toContain(
      "by carol, degraded (Argo CD: health Degraded: Back-off pulling image)",
    );
  }, 60_000);
});
