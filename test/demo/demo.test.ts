// `relbot demo --exit` as a user runs it: a child process with nothing prepared. It must build its own world,
// run the whole story through relbot's real doors (git push, signed webhook, signed Slack command, the API) and
// report it; the kept workspace (--keep) lets the GitOps repository be checked with the git CLI.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { type CliResult, runRelbotCli } from "../support/cli.ts";
import { git } from "../support/git.ts";
import { tempDir } from "../support/temp-dir.ts";
import { printedBlock, printedDetail } from "./demo-output.ts";

let run: CliResult;
let workspace: string;
let gitopsBare: string;
let cwd: string;

beforeAll(async () => {
  // An empty working directory: the demo needs no config, no repository, nothing but the package.
  cwd = tempDir("relbot-demo-cwd-");
  run = await runRelbotCli(["demo", "--exit", "--keep", "--port", "0"], { RELBOT_CONFIG: "" }, { cwd });
  if (run.code !== 0) console.error(run.stdout, run.stderr);
  workspace = printedDetail(run.stdout, "workspace");
  gitopsBare = path.join(workspace, "git-server", "gitops.git");
}, 240_000);

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

/** relbot's commits on the GitOps main, oldest first, each as its full message. */
function relbotCommits(): string[] {
  const log = git(gitopsBare, ["log", "--reverse", "--author=relbot", "--format=%B%x00", "main"]);
  return log
    .split("\0")
    .map((message) => message.trim())
    .filter(Boolean);
}

function trailers(message: string): Record<string, string> {
  return Object.fromEntries(
    [...message.matchAll(/^(Relbot-[A-Za-z]+): (.+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
  );
}

describe("relbot demo --exit", () => {
  test("runs every step and exits 0", () => {
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("relbot demo failed");
    for (const version of ["v1.0.0", "v1.1.0"]) {
      expect(run.stdout).toContain(`git tag -s ${version}`);
      expect(run.stdout).toMatch(
        new RegExp(
          `POST /webhooks/github \\(X-GitHub-Event: push, ref refs/tags/${version}\\) -> 202 \\{"jobIds":\\["job_`,
        ),
      );
      expect(run.stdout).toContain(`release ${version}: verified, signed by dana@example.com (SHA256:`);
    }
    expect(run.stdout).toMatch(/SBOM sbom\.spdx\.json: sha256:[0-9a-f]{64}/);
    expect(run.stdout).toContain("POST /chatops/slack as UDEMO (demo-user) -> 200");
    expect(run.stdout).toContain("envs/staging/demo-svc.yaml targetRevision is now v1.1.0");
    // The chat path's last leg: relbot posts the result to the command's response_url.
    expect(run.stdout).toMatch(/then Slack shows: Promoted demo-svc v1\.1\.0 to staging .*GitOps commit/);
  });

  test("the GitOps repository got one commit per promotion: dev v1.0.0, dev v1.1.0, staging v1.1.0", () => {
    const commits = relbotCommits();
    expect(commits.map((message) => trailers(message))).toEqual([
      expect.objectContaining({ "Relbot-App": "demo-svc", "Relbot-Env": "dev", "Relbot-Version": "v1.0.0" }),
      expect.objectContaining({ "Relbot-App": "demo-svc", "Relbot-Env": "dev", "Relbot-Version": "v1.1.0" }),
      expect.objectContaining({
        "Relbot-App": "demo-svc",
        "Relbot-Env": "staging",
        "Relbot-Version": "v1.1.0",
        "Relbot-Actor": "demo-user",
      }),
    ]);
    for (const message of commits) expect(trailers(message)["Relbot-Promotion"]).toMatch(/^prm_/);
    expect(commits[2]).toContain("Reason: demo");
  });

  test("the manifests name what relbot promoted, and prod is untouched", () => {
    const revision = (env: string) =>
      /targetRevision: (\S+)/.exec(git(gitopsBare, ["show", `main:envs/${env}/demo-svc.yaml`]))?.[1];
    expect(revision("dev")).toBe("v1.1.0");
    expect(revision("staging")).toBe("v1.1.0");
    expect(revision("prod")).toBe("v0.0.0");
  });

  test("it printed the GitOps log with relbot's trailers", () => {
    const log = printedBlock(run.stdout, "git log of the GitOps repository");
    for (const message of relbotCommits()) {
      expect(log).toContain(trailers(message)["Relbot-Promotion"]!);
    }
    expect(log).toContain("Relbot-Env: staging");
    expect(log).toContain("Add demo-svc to dev, staging and prod");
  });

  test("it printed the API's answers: current versions and a verified audit chain", () => {
    const { apps } = JSON.parse(printedBlock(run.stdout, "GET /api/v1/apps"));
    expect(apps).toHaveLength(1);
    expect(apps[0].name).toBe("demo-svc");
    expect(
      apps[0].environments.map((e: { name: string; version: string | null }) => [e.name, e.version]),
    ).toEqual([
      ["dev", "v1.1.0"],
      ["staging", "v1.1.0"],
      ["prod", null],
    ]);
    const audit = JSON.parse(printedBlock(run.stdout, "GET /api/v1/audit/verify"));
    expect(audit).toMatchObject({ ok: true, keyed: true });
    expect(audit.anchorsChecked).toBeGreaterThan(0); // the demo's GitOps commits anchor the chain
    expect(audit.events).toBeGreaterThan(0);
  });

  test("it printed where to look, with the read token that opens the API", () => {
    expect(run.stdout).toMatch(/API reference {2}http:\/\/127\.0\.0\.1:\d+\/docs/);
    expect(printedDetail(run.stdout, "read token")).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  test("--keep left the workspace, with its config and the secrets it names beside it", () => {
    expect(existsSync(path.join(workspace, "relbot.yaml"))).toBe(true);
    expect(existsSync(path.join(workspace, "demo.env"))).toBe(true);
  });
});
