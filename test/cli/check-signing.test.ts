// `relbot check` with gitops.signing: prints the key's fingerprint, and refuses a passphrase-protected key or an
// unset variable, naming the setting. `serve` refuses the same key at start-up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { makeSshKey, type SshKey } from "../../src/devtools/signing-keys.ts";
import { silentLogger } from "../../src/log.ts";
import { startRelbot } from "../../src/main.ts";
import { runRelbotCli } from "../support/cli.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo } from "../support/gitops-repo.ts";
import { writeTestConfig } from "../support/relbot-config.ts";
import { application } from "../support/release-pipeline.ts";

describe("relbot check with gitops.signing", () => {
  let server: GitServer;
  let key: SshKey;
  let lockedDir: string;
  let lockedKey: string;
  beforeAll(async () => {
    server = await startGitServer();
    key = makeSshKey({ principal: "relbot@example.com" });
    lockedDir = mkdtempSync(path.join(tmpdir(), "relbot-locked-key-"));
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "hunter2",
      "-C",
      "x",
      "-f",
      path.join(lockedDir, "id"),
    ]);
    lockedKey = readFileSync(path.join(lockedDir, "id"), "utf8");
  });
  afterAll(async () => {
    await server.close();
    key.dispose();
    rmSync(lockedDir, { recursive: true, force: true });
  });

  // relbot check tries the setup for real: a GitOps branch holding the environment's Application, and a source
  // repository with a default branch.
  const config = () => {
    const source = server.createRepo(`order-svc-${Math.random().toString(36).slice(2)}.git`);
    const work = makeWorkRepo();
    commitFiles(work, { "go.mod": "module example.com/order-svc\n" }, "first");
    git(work, ["push", "--quiet", server.repoPath(path.basename(source)), "HEAD:refs/heads/main"]);
    rmSync(work, { recursive: true, force: true });
    const gitops = createGitopsRepo(server, {
      "envs/dev.yaml": application("order-svc-dev", source, "v1.0.0"),
    });
    return writeTestConfig({
      gitopsUrl: gitops.url,
      gitops: { signing: { ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } } },
      files: { allowed_signers: "" },
      apps: {
        "order-svc": {
          repo: source,
          module: "example.com/order-svc",
          signers: "team",
          environments: [{ name: "dev", file: "envs/dev.yaml" }],
        },
      },
    });
  };

  test("prints the signing key's fingerprint, as ssh-keygen -l shows it", async () => {
    const expected = execFileSync("ssh-keygen", ["-l", "-f", `${key.privateKeyPath}.pub`], {
      encoding: "utf8",
    });
    const result = await runRelbotCli(["check", "--config", config()], {
      RELBOT_SSH_SIGNING_KEY: readFileSync(key.privateKeyPath, "utf8"),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`gitops.signing: ssh key ${expected.split(" ")[1]}`);
  });

  test("a passphrase-protected key and an unset variable are problems, exit 1", async () => {
    const file = config();
    const locked = await runRelbotCli(["check", "--config", file], { RELBOT_SSH_SIGNING_KEY: lockedKey });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(
      "gitops.signing.ssh.keyEnv (RELBOT_SSH_SIGNING_KEY): the SSH private key is protected by a passphrase",
    );
    const unset = await runRelbotCli(["check", "--config", file], { RELBOT_SSH_SIGNING_KEY: "" });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(
      "gitops.signing.ssh.keyEnv: environment variable RELBOT_SSH_SIGNING_KEY is not set",
    );
  });

  test("serve refuses to start with an unusable key", async () => {
    const file = config();
    const env = { RELBOT_SSH_SIGNING_KEY: lockedKey };
    const loaded = loadConfig({ file, env });
    await expect(startRelbot({ loaded, logger: silentLogger })).rejects.toThrow(/protected by a passphrase/);
  });
});
