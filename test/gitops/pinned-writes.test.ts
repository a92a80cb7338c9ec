// The writer's part in pinning a moved tag (issue 13 item 1) and in anchoring the audit chain (item 15): only the
// environments that name the moved tag are edited, all in one commit, exactly once across a crash; a refusal right
// before the push pushes nothing; every commit carries the audit head it was given.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RelbotError } from "../../src/errors.ts";
import type { GitopsWriter, PromotionChange } from "../../src/gitops/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { gitopsWriterFor, orderSvcRepo, singleSourceApp } from "./fixtures.ts";

const sha = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f40";
const head = "c".repeat(64);
let server: GitServer;

beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());

/** A writer with a cache of its own: a second one is a restarted relbot. */
function writerFor(repo: GitopsRepo): GitopsWriter {
  return gitopsWriterFor(repo, { auditHead: () => head });
}

const envs = { dev: "v1.4.0", staging: "v1.4.0", prod: "v1.3.0" };

function pinChanges(): PromotionChange[] {
  return Object.keys(envs).map((env) => ({
    promotionId: `pin_job1_${env}`,
    app: "order-svc",
    env,
    file: `envs/${env}/order-svc.yaml`,
    repoUrl: orderSvcRepo,
    toVersion: "v1.4.0",
    pinnedCommit: sha,
    pinNote: "tag moved",
    onlyFrom: "v1.4.0",
  }));
}

function seed(): GitopsRepo {
  return createGitopsRepo(
    server,
    Object.fromEntries(
      Object.entries(envs).map(([env, version]) => [
        `envs/${env}/order-svc.yaml`,
        singleSourceApp({ name: `order-svc-${env}`, targetRevision: version }),
      ]),
    ),
  );
}

describe("pinning through the GitOps writer", () => {
  test("edits only the environments that name the moved tag, in one commit, and a restarted relbot applies it once", async () => {
    const repo = seed();
    const first = await writerFor(repo).apply({
      requestId: "pin_job1",
      actor: "relbot",
      changes: pinChanges(),
    });
    expect(first.status).toBe("committed");
    expect(first.changes.filter((c) => !c.skipped).map((c) => c.env)).toEqual(["dev", "staging"]);
    expect(first.changes.find((c) => c.env === "prod")).toMatchObject({
      skipped: true,
      fromVersion: "v1.3.0",
    });
    expect(repo.show("envs/dev/order-svc.yaml")).toContain(
      `targetRevision: ${sha}  # v1.4.0 (pinned: tag moved)`,
    );
    expect(repo.show("envs/prod/order-svc.yaml")).toContain("targetRevision: v1.3.0  #");
    const message = git(repo.bare, ["log", "-1", "--format=%B", "main"]);
    expect(message).toContain("Relbot-Promotion: pin_job1_dev");
    expect(message).toContain("Relbot-Promotion: pin_job1_staging");
    expect(message).not.toContain("pin_job1_prod"); // skipped: its trailer would claim it was applied
    expect(message).toContain(`Relbot-Pinned-Commit: ${sha}`);
    expect(message.trimEnd().split("\n").at(-1)).toBe(`Relbot-Audit-Head: ${head}`);

    // Killed after the push, before recording: the retry (a new process) finds the commit and pushes nothing.
    const commits = repo.log().length;
    const again = await writerFor(repo).apply({
      requestId: "pin_job1",
      actor: "relbot",
      changes: pinChanges(),
    });
    expect(again).toMatchObject({ status: "already-applied", commit: first.commit });
    expect(again.changes.filter((c) => !c.skipped).map((c) => c.env)).toEqual(["dev", "staging"]);
    expect(repo.log().length).toBe(commits);
  });

  test("a refusal right before the push leaves the remote as it was", async () => {
    const repo = seed();
    const before = git(repo.bare, ["rev-parse", "main"]);
    const refusal = new RelbotError("release.tag_moved", "the tag moved");
    await expect(
      writerFor(repo).apply({
        requestId: "req_2",
        actor: "alice",
        changes: [
          {
            ...pinChanges()[0]!,
            promotionId: "prm_2",
            toVersion: "v1.5.0",
            pinnedCommit: undefined,
            onlyFrom: undefined,
          },
        ],
        beforePush: async () => {
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(git(repo.bare, ["rev-parse", "main"])).toBe(before);
  });
});
