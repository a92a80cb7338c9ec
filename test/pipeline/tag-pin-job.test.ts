// The tag-pin job run twice for one detection (relbot killed after it recorded tag.pinned, before the job was
// marked done): one GitOps commit, one tag.pinned event, the second run answering with the first run's commit.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GitopsWriter } from "../../src/gitops/index.ts";
import { type TagPinJobPayload, tagPinJob } from "../../src/jobs/index.ts";
import { silentLogger } from "../../src/log.ts";
import { createTagPinHandler } from "../../src/pipeline/index.ts";
import { auditEvents, type Database, type JobRow, openDatabase } from "../../src/store/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo } from "../support/gitops-repo.ts";
import { application } from "../support/release-pipeline.ts";

const repo = "https://github.com/acme/order-svc.git";
const sha = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f40";
const env = (name: string) => ({ name, file: `envs/${name}/order-svc.yaml`, auto: false, prerelease: false });
const config = {
  apps: {
    "order-svc": {
      repo,
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [env("dev"), env("staging")],
    },
  },
};

let server: GitServer;
let database: Database;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  server = await startGitServer();
  database = await openDatabase(path.join(tempDir("relbot-pin-db-"), "relbot.db"));
});
afterAll(async () => {
  database.close();
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("attack aftermath: a pin job run again after a crash commits once and records tag.pinned once", async () => {
  const gitops = createGitopsRepo(server, {
    "envs/dev/order-svc.yaml": application("order-svc-dev", repo, "v1.4.0"),
    "envs/staging/order-svc.yaml": application("order-svc-staging", repo, "v1.3.0"),
  });
  const writer = () =>
    new GitopsWriter({
      url: gitops.url,
      branch: "main",
      author: { name: "relbot", email: "relbot@example.com" },
      cacheDir: tempDir("relbot-pin-cache-"),
    });
  const job = {
    id: "job_pin1",
    kind: tagPinJob.kind,
    attempts: 1,
    maxAttempts: 50,
    payload: tagPinJob.job({
      app: "order-svc",
      version: "v1.4.0",
      tagName: "v1.4.0",
      verifiedTagObject: "a".repeat(40),
      commit: sha,
      movedTo: "b".repeat(40),
      movedEventSeq: 7,
    }).payload,
  } as unknown as JobRow;
  const context = { signal: new AbortController().signal, logger: silentLogger };
  const clock = { now: () => Date.UTC(2025, 0, 14) };

  const first = await createTagPinHandler({ db: database.db, config, writer: writer(), clock })(
    job.payload as TagPinJobPayload,
    job,
    context,
  );
  expect(first).toMatchObject({ environments: ["dev"], outcome: "committed" });
  const commits = gitops.log().length;
  // A restarted relbot (a new writer, an empty cache) runs the same job again.
  const second = await createTagPinHandler({ db: database.db, config, writer: writer(), clock })(
    job.payload as TagPinJobPayload,
    job,
    context,
  );
  expect(second).toMatchObject({ environments: ["dev"], outcome: "already-applied" });
  expect(gitops.log().length).toBe(commits);
  expect(gitops.show("envs/dev/order-svc.yaml")).toContain(
    `targetRevision: ${sha} # v1.4.0 (pinned: tag moved)`,
  );
  expect(gitops.show("envs/staging/order-svc.yaml")).toContain("targetRevision: v1.3.0");
  expect(git(gitops.bare, ["log", "-1", "--format=%B", "main"])).toContain(
    "Relbot-Promotion: pin_job_pin1_dev",
  );
  const pinned = database.db
    .select()
    .from(auditEvents)
    .all()
    .filter((event) => event.kind === "tag.pinned");
  expect(pinned).toHaveLength(1);
  expect(pinned[0]!.payload).toMatchObject({ environments: ["dev"], commit: sha, jobId: "job_pin1" });
});
