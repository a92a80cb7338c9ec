// relbot with every way of asking for a promotion switched on (Slack, GitHub comments, the API), on a random
// port, with local stand-ins for GitHub's REST API and Slack's response_url, and helpers to seed its history.
import { rmSync } from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { slackSignature } from "../../src/chatops/slack-signature.ts";
import { loadConfig } from "../../src/config/index.ts";
import { newId } from "../../src/ids.ts";
import { promotionJobKey } from "../../src/jobs/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RunningRelbot, startRelbot } from "../../src/main.ts";
import { auditEvents, type JobRow, jobs, type PromotionRow, promotions } from "../../src/store/index.ts";
import { type GitHubApiStub, type RecordedRequest, startGitHubApi } from "./github-api.ts";
import { writeTestConfig } from "./relbot-config.ts";
import { fixture, webhookSecret } from "./relbot-webhooks.ts";

export const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
export const tokens = { auditor: "chatops-audit-token", deployer: "chatops-deploy-token" } as const;
export const slackUsers = { U0ALICE: "alice", U0BOB: "bob", U0CAROL: "carol", U0DAVE: "dave" } as const;

export const app = (name: string, environments: Record<string, unknown>[]) => ({
  repo: `https://github.com/acme/${name}.git`,
  module: `github.com/acme/${name}`,
  signers: "team",
  environments,
});

/** order-svc: dev -> staging -> prod (approvers); billing-svc: dev -> prod (approvers), for approver cases. */
export const chatopsApps = {
  "order-svc": app("order-svc", [
    { name: "dev", file: "envs/dev/order-svc.yaml", auto: true, prerelease: true },
    { name: "staging", file: "envs/staging/order-svc.yaml" },
    { name: "prod", file: "envs/prod/order-svc.yaml", approvers: ["alice", "@acme/sre"] },
  ]),
  "billing-svc": app("billing-svc", [
    { name: "dev", file: "envs/dev/billing-svc.yaml", auto: true },
    { name: "prod", file: "envs/prod/billing-svc.yaml", approvers: ["alice", "@acme/sre"] },
  ]),
};

export interface IssueComment {
  id: number;
  body: string;
  updated_at: string;
}

export interface ChatopsHarness {
  relbot: RunningRelbot;
  /** GitHub's REST API: team memberships, reactions, issue comments (kept, so they can be listed). */
  github: GitHubApiStub;
  /** Stands in for hooks.slack.com: records what relbot posts to response_urls. */
  slack: GitHubApiStub;
  /** Comments relbot posted, per "owner/repo#number". */
  comments: Map<string, IssueComment[]>;
  /** Stops relbot and starts it again on the same config and database file (h.relbot is the new one). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChatopsRelbot(
  options: {
    env?: Record<string, string>;
    slack?: Record<string, unknown> | null;
    /** Apps besides (or replacing) chatopsApps, by name. */
    apps?: Record<string, unknown>;
    /** github.commandRepos: repositories whose comments may command any app. */
    commandRepos?: string[];
  } = {},
): Promise<ChatopsHarness> {
  const github = await startGitHubApi();
  const slack = await startGitHubApi();
  const comments = new Map<string, IssueComment[]>();
  standInForGitHub(github, comments);
  slack.on("POST /actions/:team/:id/:token", { status: 200, body: "ok" });

  const file = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    files: { allowed_signers: "" },
    apps: { ...chatopsApps, ...options.apps },
    extra: {
      github: {
        apiUrl: github.url,
        tokenEnv: "GITHUB_TOKEN",
        webhookSecretEnv: "GITHUB_WEBHOOK_SECRET",
        ...(options.commandRepos ? { commandRepos: options.commandRepos } : {}),
      },
      ...(options.slack === null
        ? {}
        : { slack: options.slack ?? { signingSecretEnv: "SLACK_SIGNING_SECRET", users: slackUsers } }),
      api: {
        tokens: [
          { name: "auditor", tokenEnv: "TEST_AUDIT_TOKEN", scopes: ["read"] },
          { name: "deployer", tokenEnv: "TEST_DEPLOY_TOKEN", scopes: ["read", "promote"] },
        ],
      },
    },
  });
  const start = () =>
    startRelbot({
      loaded: loadConfig({
        file,
        env: {
          GITHUB_TOKEN: "ghs_chatops",
          GITHUB_WEBHOOK_SECRET: webhookSecret,
          SLACK_SIGNING_SECRET: slackSecret,
          TEST_AUDIT_TOKEN: tokens.auditor,
          TEST_DEPLOY_TOKEN: tokens.deployer,
          ...options.env,
        },
      }),
      logger: silentLogger,
      port: 0,
      hostname: "127.0.0.1",
      // Retries of chat jobs come at once instead of after seconds.
      worker: { backoff: { baseMs: 2, maxMs: 4 }, pollMs: 25 },
      // These tests look at what a command records and queues; applying promotions is test/pipeline's business,
      // so no promotion job handler runs here and queued promotions stay queued.
      pipeline: false,
    });
  const relbot = await start();
  const harness: ChatopsHarness = {
    relbot,
    github,
    slack,
    comments,
    async restart() {
      await harness.relbot.stop();
      harness.relbot = await start();
    },
    async stop() {
      await harness.relbot.stop();
      await github.close();
      await slack.close();
      rmSync(path.dirname(file), { recursive: true, force: true });
    },
  };
  return harness;
}

const ghUser = (login: string, id: number, type = "User") => ({
  login,
  id,
  node_id: "MDQ6VXNlcjE=",
  avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type,
  site_admin: false,
});

/** GitHub's answers in their real shapes: bob is an active member of @acme/sre, everyone else is not. */
export function standInForGitHub(github: GitHubApiStub, comments: Map<string, IssueComment[]>): void {
  github.on("GET /orgs/:org/teams/:team/memberships/:username", (_req, { org, team, username }) =>
    org === "acme" && team === "sre" && username === "bob"
      ? { body: { url: "https://api.github.com/teams/1/memberships/bob", role: "member", state: "active" } }
      : {
          status: 404,
          body: {
            message: "Not Found",
            documentation_url: "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user",
            status: "404",
          },
        },
  );
  // GET /repos/{owner}/{repo}/collaborators/{username}/permission: alice admin, bob/carol/dave write, rita a
  // read-only collaborator (author_association COLLABORATOR all the same), anyone else read (a public repository).
  github.on("GET /repos/:owner/:repo/collaborators/:username/permission", (_req, { username = "" }) => {
    const roles: Record<string, [string, string]> = {
      alice: ["admin", "admin"],
      bob: ["write", "write"],
      carol: ["write", "maintain"],
      dave: ["write", "write"],
      rita: ["read", "read"],
    };
    const [permission, role_name] = roles[username.toLowerCase()] ?? ["read", "read"];
    return { body: { permission, role_name, user: { ...ghUser(username, 4242), permissions: {} } } };
  });
  let reactionId = 100;
  github.on("POST /repos/:owner/:repo/issues/comments/:id/reactions", (req) => ({
    status: 201,
    body: {
      id: ++reactionId,
      node_id: "REA_lALOK8eWVc6aa9nFzg",
      user: ghUser("relbot[bot]", 99, "Bot"),
      content: (req.json as { content: string }).content,
      created_at: new Date().toISOString(),
    },
  }));
  let commentId = 3_000_000_000;
  github.on("POST /repos/:owner/:repo/issues/:number/comments", (req, { owner, repo, number }) => {
    const id = ++commentId;
    const now = new Date().toISOString();
    const comment = {
      id,
      node_id: "IC_kwDOK8eWVc6aa9nG",
      url: `https://api.github.com/repos/${owner}/${repo}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${number}#issuecomment-${id}`,
      body: (req.json as { body: string }).body,
      user: ghUser("relbot[bot]", 99, "Bot"),
      created_at: now,
      updated_at: now,
      issue_url: `https://api.github.com/repos/${owner}/${repo}/issues/${number}`,
      author_association: "NONE",
    };
    const key = `${owner}/${repo}#${number}`;
    comments.set(key, [...(comments.get(key) ?? []), comment]);
    return { status: 201, body: comment };
  });
  github.on("GET /repos/:owner/:repo/issues/:number/comments", (req, { owner, repo, number }) => {
    const since = Date.parse(req.query.get("since") ?? "1970-01-01T00:00:00Z");
    const all = comments.get(`${owner}/${repo}#${number}`) ?? [];
    return { body: all.filter((c) => Date.parse(c.updated_at) >= since) };
  });
}

/** The writes relbot made to GitHub (reactions and comments), as [path, body] pairs, in order. */
export function gitHubWrites(github: GitHubApiStub): [string, unknown][] {
  return github.requests.filter((r: RecordedRequest) => r.method === "POST").map((r) => [r.path, r.json]);
}

/** A Slack slash-command form body as Slack sends it (a fresh trigger_id each time, as Slack's). */
export function slashBody(slack: GitHubApiStub, text: string, user = "U0ALICE", responseId = "1"): string {
  return new URLSearchParams({
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    team_id: "T0001",
    team_domain: "acme",
    channel_id: "C2147483705",
    channel_name: "releases",
    user_id: user,
    user_name: "someone",
    command: "/release",
    text,
    api_app_id: "A123456",
    response_url: responseUrl(slack, responseId),
    trigger_id: `13345224609.738474920.${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`,
  }).toString();
}

export const responseUrl = (slack: GitHubApiStub, responseId: string) =>
  `${slack.url}/actions/T0001/${responseId}/abcDEF`;

/** POSTs to /chatops/slack signed as Slack signs (a timestamp in seconds, HMAC over v0:ts:body). */
export function sendSlack(
  url: string,
  body: string,
  options: { timestamp?: number; secret?: string } = {},
): Promise<Response> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return fetch(`${url}/chatops/slack`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Slack-Request-Timestamp": timestamp,
      "X-Slack-Signature": slackSignature(options.secret ?? slackSecret, timestamp, body),
    },
    body,
  });
}

// Seeded history starts an hour ago, a second apart: rows made in one millisecond would have no order.
let seedTime = Date.now() - 3_600_000;

/** A promotion that already succeeded, as the (not yet written) promotion job would leave it. */
export function seedSucceeded(
  relbot: RunningRelbot,
  appName: string,
  env: string,
  version: string,
): PromotionRow {
  seedTime += 1000;
  const now = seedTime;
  return relbot.database.db
    .insert(promotions)
    .values({
      id: newId("prm", now),
      requestId: newId("req", now),
      app: appName,
      env,
      toVersion: version,
      actor: "relbot",
      source: "webhook",
      status: "succeeded",
      gitopsCommit: "a".repeat(40),
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
    })
    .returning()
    .get();
}

export function promotionById(relbot: RunningRelbot, id: string): PromotionRow | undefined {
  return relbot.database.db.select().from(promotions).where(eq(promotions.id, id)).get();
}

export function promotionJobOf(relbot: RunningRelbot, promotionId: string): JobRow | undefined {
  return relbot.database.db
    .select()
    .from(jobs)
    .where(eq(jobs.dedupKey, promotionJobKey(promotionId)))
    .get();
}

export function auditEventsOf(relbot: RunningRelbot, promotionId: string, kind: string) {
  return relbot.database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subject, `promotion:${promotionId}`), eq(auditEvents.kind, kind)))
    .all();
}

/** The promotion id quoted in an answer ("... as prm_...", "(`code`, prm_...)"). */
export function promotionIdIn(text: string): string {
  const id = /prm_[0-9a-z]+/.exec(text)?.[0];
  if (!id) throw new Error(`no promotion id in: ${text}`);
  return id;
}

let nextCommentId = 2_600_000_000;

/**
 * The recorded issue_comment fixture as another comment: its own id (as every comment on GitHub has; relbot
 * acts once per comment id), first line, author, action or repository.
 */
export function issueComment(
  body: string,
  options: {
    action?: string;
    login?: string;
    type?: string;
    association?: string;
    id?: number;
    repository?: string;
  } = {},
): string {
  const payload = JSON.parse(fixture("issue-comment"));
  payload.comment.body = body;
  payload.comment.id = options.id ?? ++nextCommentId;
  if (options.repository) {
    const [owner, name] = options.repository.split("/") as [string, string];
    payload.repository = {
      ...payload.repository,
      name,
      full_name: options.repository,
      owner: { ...payload.repository.owner, login: owner },
      html_url: `https://github.com/${options.repository}`,
      clone_url: `https://github.com/${options.repository}.git`,
      ssh_url: `git@github.com:${options.repository}.git`,
      git_url: `git://github.com/${options.repository}.git`,
      url: `https://api.github.com/repos/${options.repository}`,
    };
  }
  if (options.action) payload.action = options.action;
  if (options.association) payload.comment.author_association = options.association;
  for (const who of [payload.comment.user, payload.sender]) {
    if (options.login) who.login = options.login;
    if (options.type) who.type = options.type;
  }
  return JSON.stringify(payload);
}
