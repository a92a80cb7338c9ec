// `relbot serve` as a user starts it: a child process on a real config file. It must refuse to start when the
// config names secrets the environment does not hold or signer files that cannot be read, naming all of them.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { runRelbotCli } from "../support/cli.ts";
import { offlineApp, writeTestConfig } from "../support/relbot-config.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configNamingSecretsAndKeys(): string {
  const file = writeTestConfig({
    gitopsUrl: "http://127.0.0.1:9/gitops.git",
    gitopsTokenEnv: "GITOPS_TOKEN",
    signers: {
      team: { ssh: "keys/allowed_signers" },
      releasers: { openpgp: ["keys/release.asc", "keys/present.asc"] },
    },
    files: { "keys/present.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" },
    extra: {
      github: {
        apiUrl: "http://127.0.0.1:9",
        tokenEnv: "GITHUB_TOKEN",
        webhookSecretEnv: "GITHUB_WEBHOOK_SECRET",
      },
      api: { tokens: [{ name: "auditor", tokenEnv: "RELBOT_AUDIT_TOKEN", scopes: ["read"] }] },
    },
    apps: { "order-svc": offlineApp() },
  });
  dirs.push(path.dirname(file));
  return file;
}

describe("relbot serve refuses to start without what the config names", () => {
  test("every unset secret and every unreadable signer file in one message, exit 1, nothing created", async () => {
    const file = configNamingSecretsAndKeys();
    const dir = path.dirname(file);
    // A directory where a key file should be: present, but not a key anyone can read.
    mkdirSync(path.join(dir, "keys/release.asc"), { recursive: true });
    const result = await runRelbotCli(["serve", "--config", file], {
      GITHUB_TOKEN: "ghs_set",
      // Set but empty counts as unset.
      GITHUB_WEBHOOK_SECRET: "",
      GITOPS_TOKEN: "",
      RELBOT_AUDIT_TOKEN: "",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toEqual([
      `relbot: not starting, ${file} needs:`,
      "  - gitops.tokenEnv: environment variable GITOPS_TOKEN is not set",
      "  - github.webhookSecretEnv: environment variable GITHUB_WEBHOOK_SECRET is not set",
      "  - api.tokens[0].tokenEnv: environment variable RELBOT_AUDIT_TOKEN is not set",
      `  - signers.team.ssh: cannot read ${path.join(dir, "keys/allowed_signers")} (no such file)`,
      `  - signers.releasers.openpgp[0]: cannot read ${path.join(dir, "keys/release.asc")} (not a file)`,
    ]);
    // Refused before anything was opened: no database file appears.
    expect(existsSync(path.join(dir, "relbot.db"))).toBe(false);
  });

  test("relbot check names the same problems", async () => {
    const file = configNamingSecretsAndKeys();
    const result = await runRelbotCli(["check", "--config", file], { GITHUB_TOKEN: "ghs_set" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("gitops.tokenEnv: environment variable GITOPS_TOKEN is not set");
    expect(result.stderr).toContain("signers.team.ssh: cannot read");
    expect(result.stderr).toContain("signers.releasers.openpgp[0]: cannot read");
    expect(result.stderr).not.toContain("signers.releasers.openpgp[1]");
  });
});
