// `relbot check` as a user runs it: the real CLI as a child process, real config files, repositories on a real git
// server. It must find everything that would make the setup fail at run time, and report all of it in one run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { runRelbotCli } from "../support/cli.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { writeTestConfig } from "../support/relbot-config.ts";
import { application } from "../support/release-pipeline.ts";

const secrets = { SRC_TOKEN: "push-token", GITOPS_TOKEN: "push-token" };
const dirs: string[] = [];

let server: GitServer;
let orderRepo: string;
let gitops: GitopsRepo;

/** A source repository on the server with one commit on `branch`. */
function sourceRepo(name: string, branch = "main"): string {
  const url = server.createRepo(name);
  const work = makeWorkRepo();
  dirs.push(work);
  commitFiles(work, { "go.mod": `module example.com/${name}\n\ngo 1.22\n` }, "first");
  git(work, ["push", "--quiet", server.repoPath(name), `HEAD:refs/heads/${branch}`]);
  return url;
}

beforeAll(async () => {
  server = await startGitServer({ auth: { username: "x-access-token", password: "push-token" } });
  orderRepo = sourceRepo("order-svc.git");
  gitops = createGitopsRepo(server, {
    "envs/dev/order-svc.yaml": application("order-svc-dev", orderRepo, "v1.0.0"),
    "envs/staging/order-svc.yaml": application("order-svc-staging", orderRepo, "v1.0.0"),
    // Someone copied the file from another service and forgot to change the repository.
    "envs/prod/order-svc.yaml": application("order-svc-prod", `${server.url}/billing.git`, "v1.0.0"),
  });
  git(gitops.bare, ["branch", "release", "main"]);
});
afterAll(async () => {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(options: {
  apps: Record<string, Record<string, unknown>>;
  files?: Record<string, string>;
  gitopsUrl?: string;
  signers?: Record<string, { openpgp?: string[]; ssh?: string }>;
}): string {
  const file = writeTestConfig({
    gitopsUrl: options.gitopsUrl ?? gitops.url,
    gitopsTokenEnv: "GITOPS_TOKEN",
    signers: options.signers ?? { team: { ssh: "allowed_signers" } },
    files: options.files ?? { allowed_signers: "" },
    extra: { github: { apiUrl: "http://127.0.0.1:9", tokenEnv: "SRC_TOKEN" } },
    apps: options.apps,
  });
  dirs.push(path.dirname(file));
  return file;
}

const orderSvc = (environments: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  repo: orderRepo,
  module: "example.com/order-svc",
  signers: "team",
  environments,
  ...extra,
});

/** The problem lines of a failed check (stderr after its heading). */
function problemLines(stderr: string): string[] {
  return stderr
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.replace(/^ {2}- /, ""));
}

describe("relbot check", () => {
  test("a setup that works: ok, exit 0", async () => {
    const file = writeConfig({
      apps: {
        "order-svc": orderSvc([
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml" },
        ]),
      },
    });
    const result = await runRelbotCli(["check", "--config", file], secrets);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ok (1 apps, every repository reached)");
  });

  test("every run-time problem of a valid file at once: missing env file with the nearest path, an Application naming another repository, a repository without a default branch, an unreadable allowed_signers", async () => {
    const masterOnly = sourceRepo("legacy-svc.git", "master");
    const file = writeConfig({
      files: {},
      apps: {
        "order-svc": orderSvc([
          { name: "dev", file: "envs/dev/order.yaml", auto: true },
          { name: "prod", file: "envs/prod/order-svc.yaml" },
        ]),
        "legacy-svc": {
          repo: masterOnly,
          module: "example.com/legacy-svc",
          signers: "team",
          environments: [{ name: "dev", file: "envs/staging/order-svc.yaml" }],
        },
      },
    });
    const dir = path.dirname(file);
    const result = await runRelbotCli(["check", "--config", file], secrets);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = problemLines(result.stderr);
    expect(result.stderr).toStartWith(`${file}: ${lines.length} problem(s):\n`);
    expect(lines).toEqual([
      `signers.team.ssh: cannot read ${path.join(dir, "allowed_signers")} (no such file)`,
      `apps.order-svc.environments[0].file: envs/dev/order.yaml does not exist on main of ${gitops.url} (nearest existing path: envs/dev/order-svc.yaml)`,
      `apps.order-svc.environments[1].file: envs/prod/order-svc.yaml: Argo CD reads spec.source, and no source there is ${orderRepo} (it names ${server.url}/billing.git)`,
      `apps.legacy-svc.environments[0].file: envs/staging/order-svc.yaml: Argo CD reads spec.source, and no source there is ${masterOnly} (it names ${orderRepo})`,
      `apps.legacy-svc.repo: ${masterOnly} has no default branch (HEAD names no branch there): push one, or set the repository's default branch`,
    ]);
  });

  test("a gitops.branch that does not exist names the branches there", async () => {
    const file = writeConfig({
      apps: { "order-svc": orderSvc([{ name: "dev", file: "envs/dev/order-svc.yaml" }]) },
    });
    const raw = parse(await Bun.file(file).text());
    raw.gitops.branch = "mian";
    writeFileSync(file, stringify(raw));
    const result = await runRelbotCli(["check", "--config", file], secrets);
    expect(result.code).toBe(1);
    expect(problemLines(result.stderr)).toEqual([
      `gitops.branch: ${gitops.url} has no branch "mian" (branches there: main, release)`,
    ]);
  });

  test("every config problem at once: a typo in one key hides neither the unknown signer set nor the duplicate environment, nor a /vN module or a dir with a trailing slash", async () => {
    const file = writeConfig({
      apps: {
        "order-svc": orderSvc([
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "prod", file: "envs/prod/order-svc.yaml", aprovers: ["alice"] },
          { name: "dev", file: "envs/staging/order-svc.yaml" },
        ]),
        "api-svc": {
          repo: orderRepo,
          module: "example.com/order-svc/api/v2",
          dir: "api/",
          signers: "releasers",
          environments: [{ name: "dev", file: "envs/dev/api.yaml" }],
        },
      },
    });
    const result = await runRelbotCli(["check", "--config", file], secrets);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(problemLines(result.stderr)).toEqual([
      'apps.order-svc.environments[1]: unknown key(s) "aprovers"',
      'apps.api-svc.module: ends in /v2: write the module path without the major-version suffix ("example.com/order-svc/api"); relbot takes /v2 from the tag\'s version',
      'apps.api-svc.dir: has a trailing slash: write "api"',
      'apps.order-svc.environments[2].name: duplicate environment "dev"',
      'apps.api-svc.signers: unknown signer set "releasers" (known: team)',
    ]);
  });

  test("lists every unreachable repository and missing secret, exit 1", async () => {
    const file = writeConfig({
      gitopsUrl: `${server.url}/gitops-missing.git`,
      apps: {
        "order-svc": orderSvc([{ name: "dev", file: "envs/dev/order-svc.yaml" }], {
          repo: `${server.url}/missing.git`,
        }),
      },
    });
    const result = await runRelbotCli(["check", "--config", file], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("github.tokenEnv: environment variable SRC_TOKEN is not set");
    expect(result.stderr).toContain("gitops.tokenEnv: environment variable GITOPS_TOKEN is not set");
    expect(result.stderr).toMatch(/gitops\.url: cannot reach .*gitops-missing\.git.*401/);
    expect(result.stderr).toMatch(/apps\.order-svc\.repo: cannot reach .*missing\.git/);
  });

  test("a missing config file is one clear line, exit 1", async () => {
    const result = await runRelbotCli(["check", "--config", "/nonexistent/relbot.yaml"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read the config file");
  });
});
