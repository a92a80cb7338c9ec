// Config of protected environments: approvals must be reachable and never on an auto environment; approvalTimeout
// is a duration; gitops.signing names one kind of key.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { ConfigError, parseConfig } from "../../src/config/index.ts";

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
