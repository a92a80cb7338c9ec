import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runRelbotCli } from "../support/cli.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

describe("relbot check", () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ auth: { username: "x-access-token", password: "push-token" } });
  });
  afterAll(() => server.close());

  function config(repo: string) {
    return writeTestConfig({
      gitopsUrl: server.createRepo("gitops.git"),
      gitopsTokenEnv: "GITOPS_TOKEN",
      signers: { team: { ssh: "allowed_signers" } },
      files: { allowed_signers: "" },
      extra: { github: { apiUrl: "http://127.0.0.1:9", tokenEnv: "SRC_TOKEN" } },
      apps: {
        "order-svc": {
          repo,
          module: "example.com/order-svc",
          signers: "team",
          environments: [{ name: "dev", file: "envs/dev.yaml" }],
        },
      },
    });
  }

  test("passes when every repository is reachable with the configured credentials", async () => {
    const file = config(server.createRepo("order-svc.git"));
    const result = await runRelbotCli(["check", "--config", file], {
      SRC_TOKEN: "push-token",
      GITOPS_TOKEN: "push-token",
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ok (1 apps, every repository reached)");
  });

  test("lists every unreachable repository and missing secret, exit 1", async () => {
    const file = config(`${server.url}/missing.git`);
    const result = await runRelbotCli(["check", "--config", file], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("github.tokenEnv: environment variable SRC_TOKEN is not set");
    expect(result.stderr).toContain("gitops.tokenEnv: environment variable GITOPS_TOKEN is not set");
    expect(result.stderr).toMatch(/gitops\.url: cannot reach .*401/);
    expect(result.stderr).toMatch(/apps\.order-svc\.repo: cannot reach .*missing\.git/);
  });

  test("an invalid config prints every problem with its path, exit 1", async () => {
    const result = await runRelbotCli(["check", "--config", "/nonexistent/relbot.yaml"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read the config file");
  });
});
