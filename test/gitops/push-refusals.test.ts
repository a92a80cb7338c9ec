// Pushes the GitOps server refuses, against the real git http-backend: a pre-receive hook that declines, a
// protected-branch refusal from an update hook (its text on side-band, as GitHub sends GH006), and HTTP
// refusals (403 with the host's message, 413) fail at once with the server's words; 5xx stays retryable.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { PromotionChange } from "../../src/gitops/index.ts";
import { isTransientGitopsError } from "../../src/pipeline/index.ts";
import { git } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { gitopsWriterFor, orderSvcRepo, singleSourceApp } from "./fixtures.ts";

let server: GitServer;
/** Set per test: the HTTP answer the server gives a push instead of running git. */
let refusePush: { status: number; body: string } | undefined;

beforeAll(async () => {
  server = await startGitServer({
    intercept: (req) =>
      req.method === "POST" && req.url?.endsWith("/git-receive-pack") ? refusePush : undefined,
  });
});
afterEach(() => {
  refusePush = undefined;
});
afterAll(() => server.close());

const change = (id: string): PromotionChange => ({
  promotionId: id,
  app: "order-svc",
  env: "dev",
  file: "envs/dev/order-svc.yaml",
  repoUrl: orderSvcRepo,
  toVersion: "v1.4.0",
});

function hook(repo: GitopsRepo, name: "pre-receive" | "update", script: string): void {
  const file = path.join(repo.bare, "hooks", name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the push to fail");
}

describe("refused pushes", () => {
  test("a pre-receive hook that declines: failed at once, its message and remote lines in the error", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    hook(repo, "pre-receive", 'echo "release freeze until Monday: ask #sre" >&2\nexit 1');
    const before = server.requests();
    const error = await failure(
      gitopsWriterFor(repo).apply({ requestId: "r1", actor: "alice", changes: [change("prm_hook")] }),
    );
    expect(error.code).toBe("gitops.push_refused");
    expect(error.message).toContain("refused the push to main: pre-receive hook declined");
    expect(error.message).toContain("remote: release freeze until Monday: ask #sre");
    expect(error.details).toMatchObject({ remote: ["release freeze until Monday: ask #sre"] });
    expect(isTransientGitopsError(error)).toBe(false);
    // One attempt: clone (capabilities, ls-refs, the tip's tree, the history's commits), advertisement, push,
    // and the ls-refs that confirms the tip did not move. No retry.
    expect(server.requests() - before).toBeLessThanOrEqual(7);
    expect(repo.log()).toHaveLength(1);
  });

  test("a protected-branch refusal on side-band (update hook, GitHub's GH006 words)", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    hook(
      repo,
      "update",
      [
        'echo "error: GH006: Protected branch update failed for $1." >&2',
        'echo "error: Changes must be made through a pull request." >&2',
        "exit 1",
      ].join("\n"),
    );
    const error = await failure(
      gitopsWriterFor(repo).apply({ requestId: "r2", actor: "alice", changes: [change("prm_protected")] }),
    );
    expect(error.code).toBe("gitops.push_refused");
    expect(error.message).toContain("hook declined");
    expect(error.message).toContain(
      "remote: error: GH006: Protected branch update failed for refs/heads/main.",
    );
    expect(error.message).toContain("remote: error: Changes must be made through a pull request.");
    expect(isTransientGitopsError(error)).toBe(false);
    expect(repo.log()).toHaveLength(1);
  });

  test("receive.denyNonFastForwards does not get in the way of relbot's fast-forward pushes", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    git(repo.bare, ["config", "receive.denyNonFastForwards", "true"]);
    const outcome = await gitopsWriterFor(repo).apply({
      requestId: "r3",
      actor: "a",
      changes: [change("prm_ff")],
    });
    expect(outcome.status).toBe("committed");
    expect(git(repo.bare, ["rev-parse", "main"])).toBe(outcome.commit!);
  });

  test("HTTP 403 on the push carries the host's message and is final", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    refusePush = { status: 403, body: "Permission to acme/gitops.git denied to relbot-bot.\n" };
    const error = await failure(
      gitopsWriterFor(repo).apply({ requestId: "r4", actor: "a", changes: [change("prm_403")] }),
    );
    expect(error.code).toBe("gitops.unauthorized");
    expect(error.message).toContain("HTTP 403");
    expect(error.message).toContain("Permission to acme/gitops.git denied to relbot-bot.");
    expect(isTransientGitopsError(error)).toBe(false);
  });

  test("HTTP 413 is final; HTTP 500 stays retryable", async () => {
    const repo = createGitopsRepo(server, { "envs/dev/order-svc.yaml": singleSourceApp() });
    refusePush = { status: 413, body: "request entity too large" };
    const tooLarge = await failure(
      gitopsWriterFor(repo).apply({ requestId: "r5", actor: "a", changes: [change("prm_413")] }),
    );
    expect(tooLarge.code).toBe("gitops.push_refused");
    expect(tooLarge.message).toContain("HTTP 413");
    expect(isTransientGitopsError(tooLarge)).toBe(false);

    refusePush = { status: 500, body: "internal error" };
    const broken = await failure(
      gitopsWriterFor(repo).apply({ requestId: "r6", actor: "a", changes: [change("prm_500")] }),
    );
    expect(broken.code).toBe("gitops.push_failed");
    expect(isTransientGitopsError(broken)).toBe(true);

    refusePush = undefined;
    const outcome = await gitopsWriterFor(repo).apply({
      requestId: "r6",
      actor: "a",
      changes: [change("prm_500")],
    });
    expect(outcome.status).toBe("committed");
  });
});
