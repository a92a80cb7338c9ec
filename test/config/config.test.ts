import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { parse, stringify } from "yaml";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.ts";
import { tempDir } from "../support/temp-dir.ts";

const examplePath = path.join(import.meta.dir, "../../relbot.example.yaml");
const exampleText = readFileSync(examplePath, "utf8");

/** The example config with one change applied to its parsed form. */
function variant(change: (raw: any) => void): string {
  const raw = parse(exampleText);
  change(raw);
  return stringify(raw);
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, "/etc/relbot/relbot.yaml", env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("secrets and RELBOT_* settings resolved at load", () => {
  const everySecret = {
    GITOPS_TOKEN: "gitops-s3cret",
    GITHUB_TOKEN: "github-s3cret",
    GITHUB_WEBHOOK_SECRET: "hook-s3cret",
    SLACK_SIGNING_SECRET: "slack-s3cret",
    RELBOT_AUDIT_TOKEN: "audit-s3cret",
    RELBOT_DEPLOY_TOKEN: "deploy-s3cret",
    RELBOT_AUDIT_KEY: "audit-key-s3cret-of-at-least-32-characters",
  };

  test("every secret of the example resolves, and none is shown by JSON, inspect or a template string", () => {
    const loaded = parseConfig(exampleText, "/x/relbot.yaml", everySecret);
    expect(loaded.secrets.get("githubWebhookSecret")).toBe("hook-s3cret");
    expect(loaded.secrets.get("slackSigningSecret")).toBe("slack-s3cret");
    expect(loaded.secrets.get("auditKey")).toBe("audit-key-s3cret-of-at-least-32-characters");
    expect(loaded.secrets.apiTokens.map((t) => [t.name, t.secret])).toEqual([
      ["auditor", "audit-s3cret"],
      ["deployer", "deploy-s3cret"],
    ]);
    expect(loaded.secrets.missing()).toEqual([]);
    const shown = [
      JSON.stringify(loaded),
      inspect(loaded, { depth: 10 }),
      Bun.inspect(loaded),
      `${loaded.secrets}`,
    ];
    for (const text of shown) {
      expect(text).not.toContain("s3cret");
    }
    expect(JSON.parse(shown[0]!).secrets).toMatchObject({ gitopsToken: "[set]", "api:deployer": "[set]" });
  });

  test("missing() names every unset secret with its config key and variable", () => {
    const { secrets } = parseConfig(exampleText, "/x/relbot.yaml", {
      GITHUB_TOKEN: "x",
      RELBOT_AUDIT_TOKEN: "y",
    });
    expect(secrets.missing()).toEqual([
      { setting: "gitops.tokenEnv", envName: "GITOPS_TOKEN" },
      { setting: "github.webhookSecretEnv", envName: "GITHUB_WEBHOOK_SECRET" },
      { setting: "slack.signingSecretEnv", envName: "SLACK_SIGNING_SECRET" },
      { setting: "audit.keyEnv", envName: "RELBOT_AUDIT_KEY" },
      { setting: "api.tokens[1].tokenEnv", envName: "RELBOT_DEPLOY_TOKEN" },
    ]);
  });

  test("RELBOT_* settings are parsed once, typed; bad values are config problems naming the variable", () => {
    const { settings } = parseConfig(exampleText, "/x/relbot.yaml", {
      RELBOT_JOB_LEASE_MS: "1500",
      RELBOT_AUTO_PROMOTE_DELAY_MS: "0",
      RELBOT_LOG_LEVEL: "debug",
      RELBOT_ACTOR: "alice",
      RELBOT_CRASH_AT: "",
    });
    expect(settings).toEqual({ jobLeaseMs: 1500, autoPromoteDelayMs: 0, logLevel: "debug", actor: "alice" });
    expect(
      problemsOf(exampleText, {
        RELBOT_JOB_LEASE_MS: "1.5s",
        RELBOT_LOG_LEVEL: "loud",
        RELBOT_CRASH_AT: "now",
      }),
    ).toEqual([
      'RELBOT_JOB_LEASE_MS: "1.5s" must be a whole number of milliseconds',
      'RELBOT_LOG_LEVEL: "loud" must be one of trace, debug, info, warn, error, fatal, silent',
      'RELBOT_CRASH_AT: "now" must be before-push or after-push',
    ]);
  });
});

describe("config loading", () => {
  test("the sample config loads with defaults filled in and key paths resolved", () => {
    const { config } = parseConfig(exampleText, "/etc/relbot/relbot.yaml");
    expect(config.server.port).toBe(8080);
    expect(config.reconcile.interval).toBe(60_000);
    expect(config.gitops.branch).toBe("main");
    expect(config.signers["release-team"]?.openpgp).toEqual(["/etc/relbot/keys/release-team.asc"]);
    expect(config.signers["release-team"]?.ssh).toBe("/etc/relbot/keys/allowed_signers");
    const envs = config.apps["order-svc"]?.environments ?? [];
    expect(envs.map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
    expect(envs[0]?.auto).toBe(true);
    expect(envs[1]?.auto).toBe(false);
    expect(envs[2]?.approvers).toEqual(["alice", "@acme/sre"]);
  });

  test("PORT and RELBOT_DB override the file", () => {
    const { config } = parseConfig(exampleText, "/x/relbot.yaml", {
      PORT: "9999",
      RELBOT_DB: "/tmp/other.db",
    });
    expect(config.server.port).toBe(9999);
    expect(config.database.path).toBe("/tmp/other.db");
    expect(problemsOf(exampleText, { PORT: "http" })).toEqual(['PORT: "http" is not a TCP port']);
  });

  test("--config, then $RELBOT_CONFIG, then ./relbot.yaml", () => {
    const dir = tempDir("relbot-config-");
    writeFileSync(path.join(dir, "relbot.yaml"), exampleText);
    writeFileSync(
      path.join(dir, "other.yaml"),
      variant((raw) => (raw.server.port = 7000)),
    );
    writeFileSync(
      path.join(dir, "third.yaml"),
      variant((raw) => (raw.server.port = 7001)),
    );
    expect(loadConfig({ cwd: dir, env: {} }).config.server.port).toBe(8080);
    expect(loadConfig({ cwd: dir, env: { RELBOT_CONFIG: "other.yaml" } }).config.server.port).toBe(7000);
    expect(
      loadConfig({ cwd: dir, env: { RELBOT_CONFIG: "other.yaml" }, file: "third.yaml" }).config.server.port,
    ).toBe(7001);
    expect(() => loadConfig({ cwd: dir, env: {}, file: "missing.yaml" })).toThrow(
      /cannot read the config file/,
    );
  });

  test("durations accept s, m, ms, h and 0 to turn the reconciler off", () => {
    for (const [given, ms] of [
      ["5m", 300_000],
      ["250ms", 250],
      ["1h", 3_600_000],
      [0, 0],
      ["30", 30_000],
    ] as const) {
      const { config } = parseConfig(
        variant((raw) => (raw.reconcile.interval = given)),
        "/x/relbot.yaml",
      );
      expect(config.reconcile.interval).toBe(ms);
    }
    expect(problemsOf(variant((raw) => (raw.reconcile.interval = "soon")))).toEqual([
      'reconcile.interval: "soon" is not a duration like 60s, 5m or 250ms',
    ]);
  });

  test("secrets come only from the environment variables the file names, resolved at load", () => {
    const { secrets } = parseConfig(exampleText, "/x/relbot.yaml", { GITOPS_TOKEN: "t0k", OTHER: "x" });
    expect(secrets.get("gitopsToken")).toBe("t0k");
    expect(parseConfig(exampleText, "/x/relbot.yaml", {}).secrets.get("gitopsToken")).toBeUndefined();
    // An empty variable is unset: an empty secret would match an empty signature.
    expect(parseConfig(exampleText, "/x/relbot.yaml", { GITOPS_TOKEN: "" }).secrets.get("gitopsToken")).toBe(
      undefined,
    );
    expect(problemsOf(variant((raw) => (raw.gitops.tokenEnv = "ghp_abc123 secret")))).toEqual([
      "gitops.tokenEnv: must be the name of an environment variable, not the secret itself",
    ]);
  });
});

describe("config rejections name the exact path", () => {
  test("an environment file that escapes the GitOps repo", () => {
    const problems = problemsOf(
      variant((raw) => {
        raw.apps["order-svc"].environments[2].file = "../other-repo/prod.yaml";
        raw.apps["order-svc"].environments[1].file = "/etc/passwd";
        raw.apps["order-svc"].environments[0].file = "envs/../../x.yaml";
      }),
    );
    expect(problems).toEqual([
      "apps.order-svc.environments[0].file: must stay inside the GitOps repo",
      "apps.order-svc.environments[1].file: must stay inside the GitOps repo",
      "apps.order-svc.environments[2].file: must stay inside the GitOps repo",
    ]);
  });

  test("duplicate environment names", () => {
    expect(problemsOf(variant((raw) => (raw.apps["order-svc"].environments[2].name = "staging")))).toEqual([
      'apps.order-svc.environments[2].name: duplicate environment "staging"',
    ]);
  });

  test("an unknown signer set", () => {
    expect(problemsOf(variant((raw) => (raw.apps["order-svc"].signers = "releaseteam")))).toEqual([
      'apps.order-svc.signers: unknown signer set "releaseteam" (known: release-team)',
    ]);
  });

  test("approvers on an auto environment", () => {
    expect(
      problemsOf(variant((raw) => (raw.apps["order-svc"].environments[0].approvers = ["alice"]))),
    ).toEqual([
      "apps.order-svc.environments[0].approvers: an auto environment cannot have approvers: nobody approves an automatic promotion",
    ]);
  });

  test("unknown keys, so typos never pass silently", () => {
    const problems = problemsOf(
      variant((raw) => {
        raw.apps["order-svc"].environments[2].aprovers = ["bob"];
        raw.gitops.brnach = "main";
        raw.extra = true;
      }),
    );
    expect(problems.sort()).toEqual([
      'apps.order-svc.environments[2]: unknown key(s) "aprovers"',
      'gitops: unknown key(s) "brnach"',
      'unknown key(s) "extra"',
    ]);
  });

  test("every problem is reported at once, missing fields included", () => {
    const problems = problemsOf(
      variant((raw) => {
        delete raw.apps["order-svc"].repo;
        raw.apps["order-svc"].environments[1].file = "../x";
        raw.api.tokens[0].scopes = ["admin"];
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems).toContain("apps.order-svc.repo: is required");
    expect(problems).toContain("apps.order-svc.environments[1].file: must stay inside the GitOps repo");
    expect(problems.some((p) => p.startsWith("api.tokens[0].scopes[0]:"))).toBe(true);
  });

  test("hostile or broken YAML is refused, not crashed on", () => {
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`;
    expect(problemsOf(bomb)[0]).toMatch(/^not valid YAML: .*alias/i);
    expect(problemsOf("server: [unclosed")[0]).toMatch(/^not valid YAML/);
    expect(problemsOf("gitops: {url: a}\ngitops: {url: b}\n")[0]).toMatch(/^not valid YAML: .*unique/i);
    expect(problemsOf("just a string")).toEqual(["the file must be a YAML mapping of settings"]);
  });
});

describe("credentials in configured URLs", () => {
  // Written to a real file and loaded as `relbot start` loads it: refused before anything records the URL.
  function loadFile(change: (raw: any) => void) {
    const dir = tempDir("relbot-config-");
    try {
      const file = path.join(dir, "relbot.yaml");
      writeFileSync(file, variant(change));
      return loadConfig({ file, env: {} });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  function refusal(change: (raw: any) => void): string[] {
    try {
      loadFile(change);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error("expected the config to be refused");
  }

  test("a password in gitops.url is refused, pointing to gitops.tokenEnv, never echoing it (secret in the audit chain)", () => {
    const problems = refusal(
      (raw) => (raw.gitops.url = "https://relbot:s3cr3t-pw@git.acme.example/gitops.git"),
    );
    expect(problems).toEqual([
      "gitops.url: must not contain a user name or password (user:secret@): remove it, put the token in an environment variable and name that variable in gitops.tokenEnv",
    ]);
    expect(problems.join("\n")).not.toContain("s3cr3t");
  });

  test("a token in an app's repo, github.apiUrl or argocd.url points to the tokenEnv setting to use", () => {
    const problems = refusal((raw) => {
      raw.apps["order-svc"].repo = "https://ghp_abcdefghijklmnop@github.com/acme/order-svc.git";
      raw.github = { ...raw.github, apiUrl: "https://x-access-token:ghs_xyz@api.github.com" };
      raw.argocd = { url: "https://admin:ghs_argo@argocd.acme.example", tokenEnv: "ARGOCD_TOKEN" };
    });
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith("argocd.url:"))).toContain("argocd.tokenEnv");
    expect(problems.find((p) => p.startsWith("apps.order-svc.repo:"))).toContain("github.tokenEnv");
    expect(problems.find((p) => p.startsWith("github.apiUrl:"))).toContain("github.tokenEnv");
    expect(problems.join("\n")).not.toMatch(/ghp_|ghs_/);
  });

  test("an SSH user name is an account, not a secret; an '@' in the path is not userinfo", () => {
    const { config } = loadFile((raw) => {
      raw.apps["order-svc"].repo = "git@github.com:acme/order-svc.git";
      raw.gitops.url = "https://git.acme.example/scm/@team/gitops.git";
    });
    expect(config.apps["order-svc"]?.repo).toBe("git@github.com:acme/order-svc.git");
    expect(
      refusal((raw) => (raw.apps["order-svc"].repo = "ssh://git:pw@host.example/acme/order-svc.git")),
    ).toHaveLength(1);
  });
});
