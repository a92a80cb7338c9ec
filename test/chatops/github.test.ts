import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import type { ChatAnswerDeps } from "../../src/chatops/answer.ts";
import {
  answerCommentCommand,
  commentCommandFromPayload,
  reactToComment,
  replyToIssue,
} from "../../src/chatops/github-comments.ts";
import { createTeamMembershipCheck } from "../../src/chatops/github-teams.ts";
import { formatHistory, formatStatus } from "../../src/chatops/replies.ts";
import type { RelbotConfig } from "../../src/config/index.ts";
import { RelbotError } from "../../src/errors.ts";
import { createGitHubClient } from "../../src/github/index.ts";
import { enqueuePromotionJob } from "../../src/jobs/index.ts";
import { requestPromotion } from "../../src/promotion/request.ts";
import { loadEnvironmentStatus, loadPromotionHistory } from "../../src/promotion/status.ts";
import { type Database, jobs, openDatabase } from "../../src/store/index.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { seedRelease, seedSucceededPromotion } from "../support/promotion-fixtures.ts";
import { tempDir } from "../support/temp-dir.ts";

let github: GitHubApiStub;
let time = 1_700_000_000_000;
const clock = { now: () => time };

const user = (login: string, id: number, type = "User") => ({
  login,
  id,
  node_id: "MDQ6VXNlcjE=",
  avatar_url: `https://github.com/images/${login}.gif`,
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type,
  site_admin: false,
});

beforeAll(async () => {
  github = await startGitHubApi();
  // GitHub answers 200 with the membership for members (active or pending) and 404 for everyone else.
  github.on("GET /orgs/:org/teams/:team/memberships/:username", (_req, { org, team, username }) => {
    // An org whose members the token may not see, as for a token without read:org.
    if (org === "locked") return { status: 403, body: { message: "Resource not accessible by integration" } };
    const state = { bob: "active", penny: "pending" }[username ?? ""];
    if (org !== "acme" || team !== "sre" || !state) {
      return {
        status: 404,
        body: {
          message: "Not Found",
          documentation_url: "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user",
          status: "404",
        },
      };
    }
    return {
      body: { url: `https://api.github.com/teams/1/memberships/${username}`, role: "member", state },
    };
  });
  github.on("POST /repos/:owner/:repo/issues/comments/:id/reactions", (req) => ({
    status: 201,
    body: {
      id: 1,
      node_id: "MDg6UmVhY3Rpb24x",
      user: user("relbot[bot]", 99, "Bot"),
      content: (req.json as { content: string }).content,
      created_at: "2024-05-20T20:09:31Z",
    },
  }));
  let commentId = 9000;
  github.on("POST /repos/:owner/:repo/issues/:number/comments", (req, { owner, repo, number }) => ({
    status: 201,
    body: {
      id: ++commentId,
      node_id: "MDEyOklzc3VlQ29tbWVudDE=",
      url: `https://api.github.com/repos/${owner}/${repo}/issues/comments/${commentId}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${number}#issuecomment-${commentId}`,
      body: (req.json as { body: string }).body,
      user: user("relbot[bot]", 99, "Bot"),
      created_at: "2024-05-20T20:09:31Z",
      updated_at: "2024-05-20T20:09:31Z",
      issue_url: `https://api.github.com/repos/${owner}/${repo}/issues/${number}`,
      author_association: "NONE",
    },
  }));
});
afterAll(() => github.close());
beforeEach(() => {
  github.requests.length = 0;
});

describe("GitHub team membership", () => {
  test("active is a member; pending and 404 are not; the token and base URL are used", async () => {
    const octokit = createGitHubClient({ apiUrl: `${github.url}/`, token: "ghs_test" });
    const isTeamMember = createTeamMembershipCheck({ octokit, clock });
    expect(await isTeamMember("acme", "sre", "bob")).toBe(true);
    expect(await isTeamMember("acme", "sre", "penny")).toBe(false);
    expect(await isTeamMember("acme", "sre", "mallory")).toBe(false);
    expect(github.requests.map((r) => r.path)).toEqual([
      "/orgs/acme/teams/sre/memberships/bob",
      "/orgs/acme/teams/sre/memberships/penny",
      "/orgs/acme/teams/sre/memberships/mallory",
    ]);
    expect(github.requests[0]?.headers.authorization).toBe("token ghs_test");
  });

  test("answers are cached for the TTL, then asked again", async () => {
    const isTeamMember = createTeamMembershipCheck({
      octokit: createGitHubClient({ apiUrl: github.url }),
      clock,
      ttlMs: 60_000,
    });
    await Promise.all([isTeamMember("acme", "sre", "bob"), isTeamMember("acme", "sre", "bob")]);
    expect(await isTeamMember("acme", "sre", "bob")).toBe(true);
    expect(await isTeamMember("acme", "sre", "mallory")).toBe(false);
    expect(await isTeamMember("acme", "sre", "mallory")).toBe(false);
    expect(github.requests).toHaveLength(2);
    time += 60_001;
    expect(await isTeamMember("acme", "sre", "bob")).toBe(true);
    expect(github.requests).toHaveLength(3);
  });

  test("a GitHub error is raised with the setting to fix, and not cached", async () => {
    const isTeamMember = createTeamMembershipCheck({
      octokit: createGitHubClient({ apiUrl: github.url }),
      clock,
    });
    const attempt = isTeamMember("locked", "sre", "bob");
    await expect(attempt).rejects.toBeInstanceOf(RelbotError);
    await expect(attempt).rejects.toMatchObject({
      code: "team_check_failed",
      message: expect.stringContaining("read:org"),
    });
    await expect(isTeamMember("locked", "sre", "bob")).rejects.toBeInstanceOf(RelbotError);
    expect(github.requests).toHaveLength(2);
  });
});

/** An issue_comment webhook payload in GitHub's shape (trimmed to the fields GitHub always sends). */
function issueComment(body: string, overrides: Record<string, unknown> = {}) {
  const commenter = user("carol", 7);
  return {
    action: "created",
    issue: {
      url: "https://api.github.com/repos/acme/order-svc/issues/12",
      number: 12,
      title: "Release v1.2.0",
      user: commenter,
      state: "open",
      comments: 1,
    },
    comment: {
      url: "https://api.github.com/repos/acme/order-svc/issues/comments/555",
      html_url: "https://github.com/acme/order-svc/issues/12#issuecomment-555",
      id: 555,
      node_id: "IC_kwDOA",
      user: commenter,
      created_at: "2024-05-20T20:09:31Z",
      updated_at: "2024-05-20T20:09:31Z",
      author_association: "MEMBER",
      body,
    },
    repository: {
      id: 1296269,
      name: "order-svc",
      full_name: "acme/order-svc",
      owner: user("acme", 1, "Organization"),
      private: false,
    },
    sender: commenter,
    ...overrides,
  };
}

describe("comment commands", () => {
  test("a created comment whose first line is /release is a command", () => {
    const result = commentCommandFromPayload(
      issueComment("/release promote order-svc v1.2.0 to staging\nthanks"),
    );
    expect(result).toEqual({
      command: {
        owner: "acme",
        repo: "order-svc",
        issueNumber: 12,
        commentId: 555,
        author: "carol",
        text: "/release promote order-svc v1.2.0 to staging",
        parsed: {
          ok: true,
          command: { verb: "promote", app: "order-svc", version: "v1.2.0", env: "staging" },
        },
      },
    });
  });

  test.each([
    ["edited comments", issueComment("/release help", { action: "edited" }), "not_created"],
    ["bots", issueComment("/release help", { sender: user("dependabot[bot]", 3, "Bot") }), "bot"],
    ["comments that are not commands", issueComment("LGTM\n/release help"), "not_a_command"],
    [
      "non-members on a public repo",
      (() => {
        const p = issueComment("/release help");
        p.comment.author_association = "NONE";
        return p;
      })(),
      "untrusted_author",
    ],
    ["garbage", { zen: "Keep it logically awesome." }, "malformed_payload"],
  ])("ignores %s", (_name, payload, skip) => {
    expect(commentCommandFromPayload(payload)).toEqual({ skip: skip as never });
  });

  test("ignores relbot's own comments", () => {
    const payload = issueComment("/release help", { sender: user("relbot-app", 5) });
    payload.comment.user = user("relbot-app", 5);
    expect(commentCommandFromPayload(payload, { selfLogin: "Relbot-App" })).toEqual({ skip: "own_comment" });
  });

  test("reacts and replies through GitHub's endpoints", async () => {
    const octokit = createGitHubClient({ apiUrl: github.url, token: "ghs_test" });
    await reactToComment(octokit, { owner: "acme", repo: "order-svc", commentId: 555 }, "eyes");
    const id = await replyToIssue(octokit, { owner: "acme", repo: "order-svc", issueNumber: 12 }, "hello");
    expect(id).toBeGreaterThan(9000);
    expect(github.requests.map((r) => [r.method, r.path, r.json])).toEqual([
      ["POST", "/repos/acme/order-svc/issues/comments/555/reactions", { content: "eyes" }],
      ["POST", "/repos/acme/order-svc/issues/12/comments", { body: "hello" }],
    ]);
  });
});

describe("answering a comment command end to end", () => {
  let dir: string;
  let store: Database;
  let deps: ChatAnswerDeps;
  const config: Pick<RelbotConfig, "apps"> = {
    apps: {
      "order-svc": {
        repo: "https://github.com/acme/order-svc.git",
        module: "github.com/acme/order-svc",
        dir: "",
        signers: "team",
        environments: [
          { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: true },
          { name: "prod", file: "envs/prod.yaml", auto: false, prerelease: false, approvers: ["@acme/sre"] },
        ],
      },
    },
  };

  beforeAll(async () => {
    dir = tempDir("relbot-gh-");
    store = await openDatabase(path.join(dir, "relbot.db"));
    const now = time;
    seedRelease(store.db, { version: "v1.2.0", createdAt: now, tagObject: "c".repeat(40) });
    seedSucceededPromotion(store.db, "dev", "v1.2.0", now);
    const octokit = createGitHubClient({ apiUrl: github.url });
    deps = {
      config,
      requestPromotion: (request) =>
        requestPromotion(
          {
            db: store.db,
            config,
            clock,
            isTeamMember: createTeamMembershipCheck({ octokit, clock }),
            enqueue: enqueuePromotionJob,
          },
          request,
        ),
      describeStatus: (app) =>
        formatStatus(app, loadEnvironmentStatus(store.db, app, config.apps[app]!.environments)),
      describeHistory: (app, env) => formatHistory(app, env, loadPromotionHistory(store.db, app, env)),
    };
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const replyBody = (writes: { json?: unknown }[]) =>
    (writes[1]?.json as { body?: string } | undefined)?.body ?? "";

  async function exchange(body: string, login: string) {
    const payload = issueComment(body, { sender: user(login, 8) });
    payload.comment.user = user(login, 8);
    const found = commentCommandFromPayload(payload);
    if (!("command" in found)) throw new Error(`not a command: ${found.skip}`);
    const octokit = createGitHubClient({ apiUrl: github.url, token: "ghs_test" });
    github.requests.length = 0;
    const result = await answerCommentCommand(octokit, found.command, deps);
    const writes = github.requests.filter((r) => r.method === "POST");
    return { result, writes };
  }

  test("a team approver's promotion: eyes, a reply naming the promotion, +1; the job knows where to report", async () => {
    const { result, writes } = await exchange(
      "/release promote order-svc v1.2.0 to prod because INC-7",
      "bob",
    );
    expect(result.accepted).toBe(true);
    expect(writes.map((r) => [r.path, r.json])).toEqual([
      ["/repos/acme/order-svc/issues/comments/555/reactions", { content: "eyes" }],
      [
        "/repos/acme/order-svc/issues/12/comments",
        { body: expect.stringMatching(/^@bob Queued promotion of order-svc v1\.2\.0 to prod as prm_/) },
      ],
      ["/repos/acme/order-svc/issues/comments/555/reactions", { content: "+1" }],
    ]);
    const [job] = store.db.select().from(jobs).all();
    expect(job?.payload).toMatchObject({
      replyTo: { kind: "github", owner: "acme", repo: "order-svc", issueNumber: 12 },
    });
  });

  test("a refusal: the reason in the reply, -1", async () => {
    const { result, writes } = await exchange("/release promote order-svc v1.2.0 to prod", "mallory");
    expect(result.accepted).toBe(false);
    expect(replyBody(writes)).toContain("mallory may not promote into prod; its approvers are @acme/sre.");
    expect(writes[2]?.json).toEqual({ content: "-1" });
  });

  test("a malformed command: usage help in the reply, -1", async () => {
    const { writes } = await exchange("/release promote order-svc", "bob");
    expect(replyBody(writes)).toContain("Usage:");
    expect(writes[2]?.json).toEqual({ content: "-1" });
  });

  test("status: answered, +1", async () => {
    const { writes } = await exchange("/release status order-svc", "carol");
    expect(replyBody(writes)).toContain("• prod: nothing yet, queued `v1.2.0` by bob");
    expect(writes[2]?.json).toEqual({ content: "+1" });
  });
});
