import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { GitopsWriter, GitopsWriterOptions, PromotionChange } from "../../src/gitops/index.ts";
import { commitFiles, git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { tempDir } from "../support/temp-dir.ts";
import { annotatedApplication, gitopsWriterFor, orderSvcRepo, singleSourceApp } from "./fixtures.ts";

const exampleRepo = "https://github.com/argoproj/argocd-example-apps.git";
const paymentsRepo = "https://github.com/acme/payments.git";
let server: GitServer;

beforeAll(async () => {
  server = await startGitServer();
});
afterAll(() => server.close());

function writerFor(repo: GitopsRepo, extra: Partial<GitopsWriterOptions> = {}): GitopsWriter {
  return gitopsWriterFor(repo, { now: () => Date.UTC(2025, 0, 2, 3, 4, 5), ...extra });
}

let ids = 0;
function change(overrides: Partial<PromotionChange> = {}): PromotionChange {
  return {
    promotionId: `prm_test${++ids}`,
    app: "order-svc",
    env: "dev",
    file: "envs/dev/order-svc.yaml",
    repoUrl: orderSvcRepo,
    toVersion: "v1.4.0",
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the promotion to fail");
}

describe("GitopsWriter.apply", () => {
  test("single source: one commit with the moves and the trailers, only the value changed", async () => {
    const before = singleSourceApp();
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": before, "README.md": "gitops\n" });
    const promotion = change();
    const outcome = await writerFor(repo).apply({
      requestId: "req_1",
      actor: "alice",
      reason: "ship the fix",
      changes: [promotion],
    });
    expect(outcome.status).toBe("committed");
    expect(outcome.changes[0]!.fromVersion).toBe("v1.3.0");
    expect(repo.log()).toHaveLength(2);
    expect(git(repo.bare, ["rev-parse", "main"])).toBe(outcome.commit!);
    expect(repo.show("envs/dev/order-svc.yaml")).toBe(before.replace("v1.3.0", "v1.4.0"));
    expect(git(repo.bare, ["log", "-1", "--format=%B", "main"])).toBe(
      [
        "order-svc: dev v1.3.0 -> v1.4.0",
        "",
        "Reason: ship the fix",
        "",
        "Relbot-Request: req_1",
        `Relbot-Promotion: ${promotion.promotionId}`,
        "Relbot-App: order-svc",
        "Relbot-Env: dev",
        "Relbot-Version: v1.4.0",
        "Relbot-Actor: alice",
      ].join("\n"),
    );
    expect(git(repo.bare, ["log", "-1", "--format=%an <%ae> %aI", "main"])).toBe(
      "relbot <relbot@example.com> 2025-01-02T03:04:05+00:00",
    );
    // git's own trailer parser reads what relbot wrote.
    expect(git(repo.bare, ["log", "-1", "--format=%(trailers:key=Relbot-Promotion,valueonly)", "main"])).toBe(
      promotion.promotionId,
    );
    // The repository is intact: git itself checks every object relbot wrote.
    git(repo.bare, ["fsck", "--strict"]);
  });

  test("one request, several apps and shapes (multi-source, hydrator, other URL spelling): one commit", async () => {
    const multiSource = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: payments
spec:
  project: default
  sources:
    - repoURL: https://charts.example.com/stable
      chart: redis
      targetRevision: 17.0.0
    - repoURL: git@GitHub.com:acme/payments
      targetRevision: v2.0.0 # app
      path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: payments
`;
    const repo = createGitopsRepo(server, {
      "envs/staging/payments.yaml": multiSource,
      "envs/staging/guestbook.yaml": annotatedApplication(),
    });
    const outcome = await writerFor(repo).apply({
      requestId: "req_2",
      actor: "bob",
      changes: [
        change({
          app: "payments",
          env: "staging",
          file: "envs/staging/payments.yaml",
          repoUrl: paymentsRepo,
          toVersion: "v2.1.0",
        }),
        change({
          app: "guestbook",
          env: "staging",
          file: "envs/staging/guestbook.yaml",
          repoUrl: exampleRepo,
          toVersion: "v0.9.0",
        }),
      ],
    });
    expect(outcome.status).toBe("committed");
    expect(repo.log()).toHaveLength(2);
    expect(repo.show("envs/staging/payments.yaml")).toBe(multiSource.replace("v2.0.0 # app", "v2.1.0 # app"));
    expect(repo.show("envs/staging/guestbook.yaml")).toBe(
      annotatedApplication().replace(
        "      repoURL: https://github.com/argoproj/argocd-example-apps.git\n      targetRevision: HEAD\n",
        "      repoURL: https://github.com/argoproj/argocd-example-apps.git\n      targetRevision: v0.9.0\n",
      ),
    );
    expect(git(repo.bare, ["log", "-1", "--format=%s", "main"])).toBe(
      "payments: staging v2.0.0 -> v2.1.0 guestbook: staging HEAD -> v0.9.0",
    );
  });

  test("several Applications in one file: each change edits its own document", async () => {
    const file = "envs/order-svc.yaml";
    const before = `${singleSourceApp({ name: "order-svc-dev" })}---\n${singleSourceApp({ name: "order-svc-staging", targetRevision: "v1.2.0" })}`;
    const repo = createGitopsRepo(server, { [file]: before });
    await writerFor(repo).apply({
      requestId: "req_3",
      actor: "alice",
      changes: [
        change({ file, application: "order-svc-dev", toVersion: "v1.5.0" }),
        change({ file, env: "staging", application: "order-svc-staging", toVersion: "v1.3.0" }),
      ],
    });
    expect(repo.show(file)).toBe(
      `${singleSourceApp({ name: "order-svc-dev", targetRevision: "v1.5.0" })}---\n${singleSourceApp({ name: "order-svc-staging", targetRevision: "v1.3.0" })}`,
    );
  });

  test("promoting what is already there is a no-op without a commit", async () => {
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp({ targetRevision: "v1.4.0" }),
    });
    const outcome = await writerFor(repo).apply({ requestId: "req_4", actor: "alice", changes: [change()] });
    expect(outcome).toMatchObject({ status: "noop", commit: null });
    expect(outcome.changes[0]!.fromVersion).toBe("v1.4.0");
    expect(repo.log()).toHaveLength(1);
  });

  test("keeps one warm cache: later promotions fetch, never clone again", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const cacheDir = tempDir("relbot-gitops-cache-");
    const writer = writerFor(repo, { cacheDir });
    await writer.apply({ requestId: "r", actor: "a", changes: [change({ toVersion: "v1.4.0" })] });
    const [gitdir] = readdirSync(cacheDir);
    expect(existsSync(path.join(cacheDir, gitdir!, "HEAD"))).toBe(true);
    expect(existsSync(path.join(cacheDir, gitdir!, "index"))).toBe(false);
    const before = server.requests();
    await writer.apply({ requestId: "r", actor: "a", changes: [change({ toVersion: "v1.5.0" })] });
    // One ls-refs (the branch has not moved since relbot's own push, so no pack is asked for), then the
    // receive-pack advertisement (what the server offers, where the branch is) and one receive-pack carrying only
    // the new objects.
    expect(server.requests() - before).toBe(3);
    expect(repo.log()).toHaveLength(3);
  });

  test("a cache fragmented into many packs is rebuilt by one fresh clone and keeps working", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp(), "other.txt": "0" });
    const cacheDir = tempDir("relbot-gitops-cache-");
    const writer = writerFor(repo, { cacheDir, maxPacks: 2 });
    const packs = () =>
      readdirSync(path.join(cacheDir, readdirSync(cacheDir)[0]!, "objects/pack")).filter((f) =>
        f.endsWith(".pack"),
      );
    for (let i = 1; i <= 4; i++) {
      repo.pushFromElsewhere({ "other.txt": String(i) });
      await writer.apply({ requestId: `r${i}`, actor: "a", changes: [change({ toVersion: `v1.4.${i}` })] });
      expect(packs().length).toBeLessThanOrEqual(3);
    }
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(repo.log()).toHaveLength(9);
    expect(repo.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.4");
  });

  test("concurrent apply() calls on one repository are serialised, none lost", async () => {
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp(),
      "envs/staging/order-svc.yaml": singleSourceApp(),
      "envs/prod/order-svc.yaml": singleSourceApp(),
    });
    const cacheDir = tempDir("relbot-gitops-cache-");
    const attempts: number[] = [];
    const hooks = { beforePush: (attempt: number) => void attempts.push(attempt) };
    // Two writer objects on one cache directory share the lock, as two services in one process would.
    const outcomes = await Promise.all(
      ["dev", "staging", "prod"].map((env, i) =>
        writerFor(repo, { cacheDir, hooks }).apply({
          requestId: `req_c${i}`,
          actor: "alice",
          changes: [change({ env, file: `envs/${env}/order-svc.yaml` })],
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["committed", "committed", "committed"]);
    expect(attempts).toEqual([1, 1, 1]);
    expect(repo.log()).toHaveLength(4);
  });
});

describe("when someone else pushes between relbot's fetch and push", () => {
  test("a push to another file: relbot rebuilds on the new tip, both commits kept", async () => {
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp(),
      "envs/dev/payments.yaml": singleSourceApp({ repoURL: paymentsRepo }),
    });
    let theirs = "";
    const writer = writerFor(repo, {
      hooks: {
        beforePush: (attempt) => {
          if (attempt === 1) {
            theirs = repo.pushFromElsewhere({
              "envs/dev/payments.yaml": singleSourceApp({ repoURL: paymentsRepo, targetRevision: "v9.0.0" }),
            });
          }
        },
      },
    });
    const outcome = await writer.apply({ requestId: "req_5", actor: "alice", changes: [change()] });
    expect(outcome.status).toBe("committed");
    expect(git(repo.bare, ["rev-parse", `${outcome.commit}^`])).toBe(theirs);
    expect(repo.log()).toHaveLength(3);
    expect(repo.show("envs/dev/payments.yaml")).toContain("targetRevision: v9.0.0");
    expect(repo.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.0");
  });

  test("a push that moved the same environment: the promotion fails as a conflict, their commit stands", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const writer = writerFor(repo, {
      hooks: {
        beforePush: (attempt) => {
          if (attempt === 1)
            repo.pushFromElsewhere({
              "envs/dev/order-svc.yaml": singleSourceApp({ targetRevision: "v1.5.0" }),
            });
        },
      },
    });
    const error = await failure(writer.apply({ requestId: "req_6", actor: "alice", changes: [change()] }));
    expect(error.code).toBe("gitops.conflict");
    expect(error.message).toContain("moved from v1.3.0 to v1.5.0");
    expect(repo.log()).toHaveLength(2);
    expect(repo.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.5.0");
  });

  test("a push that made the file unusable: conflict with the reason", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const writer = writerFor(repo, {
      hooks: {
        beforePush: (attempt) => {
          if (attempt === 1)
            repo.pushFromElsewhere({ "envs/dev/order-svc.yaml": singleSourceApp({ repoURL: paymentsRepo }) });
        },
      },
    });
    const error = await failure(writer.apply({ requestId: "req_7", actor: "alice", changes: [change()] }));
    expect(error.code).toBe("gitops.conflict");
    expect(error.message).toContain("no source there is");
  });

  test("a branch that keeps moving: gives up after maxPushAttempts", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp(), "other.txt": "0" });
    const writer = writerFor(repo, {
      maxPushAttempts: 2,
      hooks: { beforePush: (attempt) => void repo.pushFromElsewhere({ "other.txt": String(attempt) }) },
    });
    const error = await failure(writer.apply({ requestId: "req_8", actor: "alice", changes: [change()] }));
    expect(error.code).toBe("gitops.push_failed");
    expect(error.message).toContain("gave up after 2 attempts");
  });
});

describe("exactly once", () => {
  test("the same request twice makes one commit", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const writer = writerFor(repo);
    const request = { requestId: "req_9", actor: "alice", changes: [change()] };
    const first = await writer.apply(request);
    const second = await writer.apply(request);
    expect(second).toMatchObject({ status: "already-applied", commit: first.commit });
    expect(second.changes[0]!.fromVersion).toBe("v1.3.0");
    expect(repo.log()).toHaveLength(2);
  });

  test("a crash between push and return: the restarted relbot finds the trailer and does not commit again", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const request = { requestId: "req_10", actor: "alice", changes: [change()] };
    let pushed = "";
    const crashing = writerFor(repo, {
      hooks: {
        afterPush: (commit) => {
          pushed = commit;
          throw new Error("killed");
        },
      },
    });
    await expect(crashing.apply(request)).rejects.toThrow("killed");
    // Someone else commits on top meanwhile; the restarted relbot has a fresh cache.
    repo.pushFromElsewhere({ "README.md": "later\n" });
    const restarted = writerFor(repo);
    expect(await restarted.findAppliedPromotion(request.changes[0]!.promotionId)).toBe(pushed);
    expect(await restarted.findAppliedPromotion("prm_never")).toBeNull();
    const outcome = await restarted.apply(request);
    expect(outcome).toMatchObject({ status: "already-applied", commit: pushed });
    expect(repo.log()).toHaveLength(3);
  });
});

describe("readTargetRevision", () => {
  test("reads the current value from the remote tip", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const writer = writerFor(repo);
    expect(await writer.readTargetRevision("envs/dev/order-svc.yaml", orderSvcRepo)).toBe("v1.3.0");
    repo.pushFromElsewhere({ "envs/dev/order-svc.yaml": singleSourceApp({ targetRevision: "v1.6.0" }) });
    expect(await writer.readTargetRevision("envs/dev/order-svc.yaml", orderSvcRepo)).toBe("v1.6.0");
  });

  test("reads many manifests after one fetch; unreadable ones are null", async () => {
    const repo = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": singleSourceApp({ targetRevision: "v1.4.0" }),
      "envs/prod/order-svc.yaml": singleSourceApp({ targetRevision: "v1.2.0" }),
      "envs/prod/broken.yaml": "not: [yaml\n",
    });
    const writer = writerFor(repo);
    await writer.readTargetRevision("envs/dev/order-svc.yaml", orderSvcRepo); // warm the cache
    const before = server.requests();
    const values = await writer.readTargetRevisions([
      { file: "envs/dev/order-svc.yaml", repoUrl: orderSvcRepo },
      { file: "envs/prod/order-svc.yaml", repoUrl: orderSvcRepo },
      { file: "envs/prod/broken.yaml", repoUrl: orderSvcRepo },
      { file: "envs/staging/missing.yaml", repoUrl: orderSvcRepo },
      { file: "envs/dev/order-svc.yaml", repoUrl: "https://github.com/acme/other.git" },
    ]);
    expect(values).toEqual(["v1.4.0", "v1.2.0", null, null, null]);
    expect(server.requests() - before).toBeLessThanOrEqual(2);
  });
});

describe("hostile and broken files: a clear error and no commit", () => {
  async function refused(files: Record<string, string>, file: string, prepare?: (work: string) => void) {
    const repo = createGitopsRepo(server, { "README.md": "x\n", ...files });
    if (prepare) {
      const work = tempDir("relbot-gitops-link-");
      git(work, ["clone", "--quiet", repo.bare, "."]);
      prepare(work);
      commitFiles(work, {}, "link");
      git(work, ["push", "--quiet", "origin", "main"]);
    }
    const commits = repo.log().length;
    const error = await failure(
      writerFor(repo).apply({ requestId: "req_h", actor: "mallory", changes: [change({ file })] }),
    );
    expect(repo.log()).toHaveLength(commits);
    return error;
  }

  test("an alias bomb", async () => {
    let bomb = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 12; i++)
      bomb += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(",")}]\n`;
    const error = await refused(
      { "envs/dev/bomb.yaml": `${bomb}${singleSourceApp()}` },
      "envs/dev/bomb.yaml",
    );
    expect(error.code).toBe("gitops.hostile_file");
    expect(error.message).toContain("envs/dev/bomb.yaml");
  });

  test("a file over 1 MiB", async () => {
    const big = `${singleSourceApp()}# ${"x".repeat(1024 * 1024)}\n`;
    const error = await refused({ "envs/dev/big.yaml": big }, "envs/dev/big.yaml");
    expect(error.code).toBe("gitops.hostile_file");
    expect(error.message).toContain("limit");
  });

  test("a symlinked manifest and a symlinked directory", async () => {
    const file = await refused({ "envs/real.yaml": singleSourceApp() }, "envs/link.yaml", (work) => {
      symlinkSync("/etc/passwd", path.join(work, "envs/link.yaml"));
    });
    expect(file.code).toBe("gitops.hostile_file");
    expect(file.message).toContain("symbolic link");

    const dir = await refused(
      { "real/dev/order-svc.yaml": singleSourceApp() },
      "envs/dev/order-svc.yaml",
      (work) => {
        symlinkSync("../real", path.join(work, "envs"));
      },
    );
    expect(dir.code).toBe("gitops.hostile_file");
    expect(dir.message).toContain("envs is a symbolic link");
  });

  test("a file that is not YAML, and one that is not an Application", async () => {
    const binary = await refused(
      { "envs/dev/order-svc.yaml": "\u0000\u0001PNG\u0000" },
      "envs/dev/order-svc.yaml",
    );
    expect(binary.code).toBe("gitops.invalid_manifest");
    const broken = await refused(
      { "envs/dev/order-svc.yaml": "spec: [\n  : ]: {\n" },
      "envs/dev/order-svc.yaml",
    );
    expect(broken.code).toBe("gitops.invalid_manifest");
    expect(broken.message).toContain("not valid YAML");
    const configMap = await refused(
      { "envs/dev/order-svc.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" },
      "envs/dev/order-svc.yaml",
    );
    expect(configMap.code).toBe("gitops.invalid_manifest");
  });

  test("a manifest that was already invalid, and a missing file", async () => {
    const invalid = await refused(
      { "envs/dev/order-svc.yaml": singleSourceApp().replace(/ {2}destination:[\s\S]*$/, "") },
      "envs/dev/order-svc.yaml",
    );
    expect(invalid.code).toBe("gitops.invalid_manifest");
    expect(invalid.message).toContain("destination");
    expect(invalid.message).toContain("already so before");
    const missing = await refused({}, "envs/dev/order-svc.yaml");
    expect(missing.code).toBe("gitops.file_missing");
  });

  test("paths outside the repository are refused before any git traffic", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    const writer = writerFor(repo);
    for (const file of [
      "../outside.yaml",
      "/etc/passwd",
      "envs/../../x.yaml",
      ".git/config",
      "envs\\dev.yaml",
    ]) {
      const before = server.requests();
      const error = await failure(
        (async () => writer.apply({ requestId: "r", actor: "a", changes: [change({ file })] }))(),
      );
      expect(error.code).toBe("gitops.hostile_file");
      expect(server.requests()).toBe(before);
    }
  });
});

describe("credentials", () => {
  test("a server with basic auth: missing or wrong credential is a clear 401 error; the right one pushes", async () => {
    const guarded = await startGitServer({ auth: { username: "x-access-token", password: "s3cret-token" } });
    try {
      const repo = createGitopsRepo(guarded, { "envs/dev/order-svc.yaml": singleSourceApp() });
      const missing = await failure(
        writerFor(repo).apply({ requestId: "r", actor: "a", changes: [change()] }),
      );
      expect(missing.code).toBe("gitops.unauthorized");
      expect(missing.message).toContain("401");
      const wrong = await failure(
        writerFor(repo, { credential: "nope" }).apply({ requestId: "r", actor: "a", changes: [change()] }),
      );
      expect(wrong.code).toBe("gitops.unauthorized");
      expect(wrong.message).not.toContain("nope");

      const cacheDir = tempDir("relbot-gitops-cache-");
      const outcome = await writerFor(repo, { credential: "s3cret-token", cacheDir }).apply({
        requestId: "r",
        actor: "a",
        changes: [change()],
      });
      expect(outcome.status).toBe("committed");
      // Never on disk: not in the cache's config, refs or anywhere else relbot wrote.
      const secretForms = ["s3cret-token", Buffer.from("x-access-token:s3cret-token").toString("base64")];
      const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((entry) =>
        entry.isFile(),
      );
      expect(files.length).toBeGreaterThan(5);
      for (const entry of files) {
        const bytes = readFileSync(path.join(entry.parentPath, entry.name), "latin1");
        for (const secret of secretForms) expect(bytes).not.toContain(secret);
      }
    } finally {
      await guarded.close();
    }
  });
});
