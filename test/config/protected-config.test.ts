// Config of protected environments: approvals must be reachable and never on an auto environment; approvalTimeout
// is a duration; gitops.signing names one kind of key; via: pull-request needs gitops.pullRequests and GitHub access.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { ConfigError, parseConfig } from "../../src/config/index.ts";
import { missingAppPermissions, neededAppPermissions } from "../../src/github/app-permissions.ts";

const exampleText = readFileSync(path.join(import.meta.dir, "../../relbot.example.yaml"), "utf8");

function withChange(change: (raw: any) => void): string {
  const raw = parse(exampleText);
  change(raw);
  return stringify(raw);
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, "/etc/relbot/relbot.yaml", {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("protected environments in the config", () => {
  test("approvals with a team, and approvalTimeout, are accepted and parsed", () => {
    const text = withChange((raw) => {
      Object.assign(raw.apps["order-svc"].environments[2], { approvals: 2, approvalTimeout: "4h" });
      raw.gitops.signing = { ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } };
    });
    expect(problemsOf(text)).toEqual([]);
    const { config } = parseConfig(text, "/etc/relbot/relbot.yaml", {});
    expect(config.apps["order-svc"]!.environments[2]).toMatchObject({
      approvals: 2,
      approvalTimeout: 4 * 3_600_000,
    });
    expect(config.gitops.signing).toEqual({ ssh: { keyEnv: "RELBOT_SSH_SIGNING_KEY" } });
  });

  test("unreachable approvals, approvals on an auto environment, bad values: each named by path", () => {
    const problems = problemsOf(
      withChange((raw) => {
        const [dev, staging, prod] = raw.apps["order-svc"].environments;
        dev.approvals = 1;
        staging.approvals = 0;
        prod.approvers = ["alice", "bob"];
        prod.approvals = 2;
        raw.gitops.signing = { openpgp: { keyEnv: "K" }, ssh: { keyEnv: "S" } };
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        "apps.order-svc.environments[0].approvals: an auto environment cannot need approvals: nobody asks for an automatic promotion",
        expect.stringMatching(/^apps\.order-svc\.environments\[1\]\.approvals: /),
        "apps.order-svc.environments[2].approvals: 2 approvals besides the requester's cannot be reached with 2 approvers",
        expect.stringMatching(/^gitops\.signing/),
      ]),
    );
  });
});

describe("pull-request mode in the config", () => {
  test("via: pull-request with gitops.pullRequests and GitHub credentials is accepted; via defaults to push", () => {
    const text = withChange((raw) => {
      raw.apps["order-svc"].environments[2].via = "pull-request";
      raw.gitops.pullRequests = { repo: "acme/gitops", labels: ["release"] };
    });
    expect(problemsOf(text)).toEqual([]);
    const { config } = parseConfig(text, "/etc/relbot/relbot.yaml", {});
    expect(config.apps["order-svc"]!.environments[2]!.via).toBe("pull-request");
    expect(config.apps["order-svc"]!.environments[0]!.via).toBeUndefined();
    expect(config.gitops.pullRequests).toEqual({
      repo: "acme/gitops",
      labels: ["release"],
      deleteBranches: true,
    });
  });

  test("without gitops.pullRequests, or without GitHub credentials, the environment is named", () => {
    const noSettings = problemsOf(
      withChange((raw) => {
        raw.apps["order-svc"].environments[2].via = "pull-request";
      }),
    );
    expect(noSettings).toEqual([
      "apps.order-svc.environments[2].via: order-svc/prod: via: pull-request needs gitops.pullRequests (repo: owner/name) to open pull requests in",
    ]);
    const noCredentials = problemsOf(
      withChange((raw) => {
        raw.apps["order-svc"].environments[1].via = "pull-request";
        raw.gitops.pullRequests = { repo: "acme/gitops" };
        delete raw.github.tokenEnv;
      }),
    );
    expect(noCredentials).toEqual([
      "apps.order-svc.environments[1].via: order-svc/staging: via: pull-request needs GitHub credentials (github.tokenEnv or github.app) to open pull requests",
    ]);
    const badRepo = problemsOf(
      withChange((raw) => {
        raw.gitops.pullRequests = { repo: "https://github.com/acme/gitops", labels: [] };
        raw.apps["order-svc"].environments[1].via = "merge";
      }),
    );
    expect(badRepo).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gitops\.pullRequests\.repo: must be a repository as "owner\/repo"/),
        expect.stringMatching(/^apps\.order-svc\.environments\[1\]\.via: /),
      ]),
    );
  });

  test("a GitHub App needs pull_requests: write (and contents: write) only when an environment uses pull requests", () => {
    const push = parseConfig(exampleText, "/etc/relbot/relbot.yaml", {}).config;
    const permissions = (config: typeof push) =>
      neededAppPermissions(config, false).map((need) => `${need.permission}:${need.level}`);
    expect(permissions(push)).not.toContain("pull_requests:write");
    expect(permissions(push)).not.toContain("statuses:write");
    const pr = parseConfig(
      withChange((raw) => {
        raw.apps["order-svc"].environments[2].via = "pull-request";
        raw.gitops.pullRequests = { repo: "acme/gitops" };
      }),
      "/etc/relbot/relbot.yaml",
      {},
    ).config;
    expect(permissions(pr)).toEqual(
      expect.arrayContaining(["pull_requests:write", "contents:write", "statuses:write"]),
    );
    expect(
      missingAppPermissions(neededAppPermissions(pr, false), { contents: "write", metadata: "read" }),
    ).toEqual(
      expect.arrayContaining([expect.objectContaining({ permission: "pull_requests", level: "write" })]),
    );
  });
});
