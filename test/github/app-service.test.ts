// relbot as a GitHub App, end to end: a signed tag's webhook -> release checks (source fetched over git with the
// installation token) -> SBOM read through the REST API (same token) -> promotion pushed to the GitOps repository
// (same token, user x-access-token). The git server and the API stand-in accept nothing but a live installation
// token; the stand-in issues one only for a JWT signed with the app's key.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { type LoadedConfig, loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RunningRelbot, startRelbot } from "../../src/main.ts";
import { githubClientFromConfig } from "../../src/wiring/github.ts";
import { runRelbotCli } from "../support/cli.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { type GitHubApiStub, startGitHubApi } from "../support/github-api.ts";
import { type GitHubAppStandIn, installGitHubApp } from "../support/github-app.ts";
import { releaseByTag } from "../support/github-releases.ts";
import { createGitopsRepo, type GitopsRepo } from "../support/gitops-repo.ts";
import { makeSshKey, type SshKey, signedTag } from "../support/keys.ts";
import { writeTestConfig } from "../support/relbot-config.ts";
import { deliver, fixture, webhookSecret } from "../support/relbot-webhooks.ts";
import { application, eventually, spdxBytes } from "../support/release-pipeline.ts";

/** The github section of a relbot.yaml that authenticates as the app, and the environment it names. */
function appGitHubSection(apiUrl: string) {
  return {
    apiUrl,
    webhookSecretEnv: "GITHUB_WEBHOOK_SECRET",
    app: { appIdEnv: "GH_APP_ID", privateKeyEnv: "GH_APP_KEY", installationIdEnv: "GH_APP_INSTALLATION" },
  };
}

function appEnv(app: GitHubAppStandIn): Record<string, string> {
  return {
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    GH_APP_ID: app.appId,
    GH_APP_KEY: app.privateKey,
    GH_APP_INSTALLATION: String(app.installationId),
  };
}

describe("relbot as a GitHub App", () => {
  let api: GitHubApiStub;
  let app: GitHubAppStandIn;
  let server: GitServer;
  let gitops: GitopsRepo;
  let sshKey: SshKey;
  let work: string;
  let sourceUrl: string;
  let configFile: string;
  let env: Record<string, string>;
  let relbot: RunningRelbot;
  let loaded: LoadedConfig;
  let gitRefusals = 0;
  const clock = { now: () => Date.now() };

  beforeAll(async () => {
    api = await startGitHubApi();
    app = installGitHubApp(api, {
      clock,
      permissions: { contents: "write", issues: "write", metadata: "read" },
    });
    // The git host takes only a live installation token, as GitHub does for an app.
    server = await startGitServer({
      intercept: (req) => {
        const refused = app.refuseUnlessInstallationToken(req.headers);
        if (!refused) return undefined;
        gitRefusals++;
        return { status: 401, body: "Invalid username or token." };
      },
    });
    sshKey = makeSshKey({ principal: "ci@acme.example" });
    work = makeWorkRepo();
    commitFiles(work, { "go.mod": "module github.com/acme/order-svc\n\ngo 1.22\n" }, "order service");
    sourceUrl = server.createRepo("acme/order-svc.git");
    git(work, ["push", "--quiet", server.repoPath("acme/order-svc.git"), "main"]);
    gitops = createGitopsRepo(server, {
      "envs/dev/order-svc.yaml": application("order-svc-dev", sourceUrl, "v1.0.0"),
    });

    api.on("GET /repos/:owner/:repo/releases/tags/:tag", (request, params) => {
      const refused = app.refuseUnlessInstallationToken(request.headers);
      if (refused) return refused;
      const assets = [{ id: 7002, name: `order-svc_${params.tag}.spdx.json`, size: spdxBytes.byteLength }];
      return { body: releaseByTag(api.url, params.owner!, params.repo!, params.tag!, assets) };
    });
    api.on("GET /repos/:owner/:repo/releases/assets/:id", (request) => {
      return (
        app.refuseUnlessInstallationToken(request.headers) ?? {
          status: 302,
          headers: { Location: "/storage/sbom" },
        }
      );
    });
    api.on("GET /storage/sbom", { body: spdxBytes });

    configFile = writeTestConfig({
      gitopsUrl: gitops.url,
      files: { allowed_signers: `${sshKey.allowedSignersLine}\n` },
      apps: {
        "order-svc": {
          repo: sourceUrl,
          module: "github.com/acme/order-svc",
          signers: "team",
          sbom: { asset: "*.spdx.json", required: true },
          environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
        },
      },
      extra: { github: appGitHubSection(api.url) },
    });
    env = appEnv(app);
    loaded = loadConfig({ file: configFile, env });
    relbot = await startRelbot({
      loaded,
      logger: silentLogger,
      port: 0,
      hostname: "127.0.0.1",
      worker: { pollMs: 50 },
      pipeline: { autoPromoteDelayMs: 0 },
    });
  });

  afterAll(async () => {
    await relbot?.stop();
    sshKey?.dispose();
    await api?.close();
    await server?.close();
  });

  test("a signed tag is checked, its SBOM read and its promotion pushed, all with one installation token", async () => {
    const tagObject = signedTag(work, "v1.1.0", sshKey);
    git(work, ["push", "--quiet", server.repoPath("acme/order-svc.git"), "refs/tags/v1.1.0"]);
    const push = JSON.parse(fixture("push-tag"));
    push.ref = "refs/tags/v1.1.0";
    push.after = tagObject;
    push.repository.clone_url = sourceUrl;
    push.repository.html_url = sourceUrl.replace(/\.git$/, "");
    expect((await deliver(relbot.url, "push", JSON.stringify(push))).status).toBe(202);

    await eventually("dev at v1.1.0 in the GitOps repository", () =>
      gitops.show("envs/dev/order-svc.yaml").includes("targetRevision: v1.1.0"),
    );
    expect(app.issued).toHaveLength(1);
    const token = app.issued[0]!.token;
    const releaseLookups = api.requests.filter((r) => r.path.startsWith("/repos/acme/order-svc/releases/"));
    expect(releaseLookups.length).toBeGreaterThan(0);
    for (const lookup of releaseLookups) expect(lookup.headers.authorization).toBe(`token ${token}`);
    expect(gitRefusals).toBe(0);
    expect(app.refusedJwts).toEqual([]);
  });

  test("a token GitHub stops accepting is replaced and the request made once more", async () => {
    const before = app.issued.length;
    app.issued.forEach((issued) => {
      issued.expiresAt = 0; // revoked on GitHub's side while relbot still holds it
    });
    // The client relbot itself uses (built once per loaded config), holding the token GitHub now refuses.
    const octokit = githubClientFromConfig(loaded.config, loaded.secrets)!;
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/releases/tags/{tag}", {
      owner: "acme",
      repo: "order-svc",
      tag: "v1.1.0",
    });
    expect(data.tag_name).toBe("v1.1.0");
    expect(app.issued).toHaveLength(before + 1);
  });
});

describe("relbot check and serve with a GitHub App", () => {
  let api: GitHubApiStub;
  let app: GitHubAppStandIn;
  let server: GitServer;
  let configFile: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    api = await startGitHubApi();
    // Granted: read only. relbot pushes to the GitOps repository on the same GitHub, so it needs contents: write.
    app = installGitHubApp(api, {
      clock: { now: () => Date.now() },
      permissions: { contents: "read", metadata: "read" },
    });
    server = await startGitServer({
      intercept: (req) => {
        const refused = app.refuseUnlessInstallationToken(req.headers);
        return refused ? { status: 401, body: "Invalid username or token." } : undefined;
      },
    });
    const gitops = createGitopsRepo(server, { "envs/dev/order-svc.yaml": "kind: Application\n" });
    const source = server.createRepo("acme/order-svc.git");
    configFile = writeTestConfig({
      gitopsUrl: gitops.url,
      files: { allowed_signers: "" },
      apps: {
        "order-svc": {
          repo: source,
          module: "github.com/acme/order-svc",
          signers: "team",
          environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
        },
      },
      extra: { github: appGitHubSection(api.url) },
    });
    env = appEnv(app);
  });

  afterAll(async () => {
    await api?.close();
    await server?.close();
  });

  test("check proves the key and names every permission the installation lacks", async () => {
    const result = await runRelbotCli(["check", "--config", configFile], env);
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain(
      'the installation lacks "contents: write" (needed to push promotions to the GitOps repository)',
    );
    expect(output).toContain('the installation lacks "issues: write"');
    expect(output).toContain('the installation lacks "deployments: write"');
    expect(output).not.toContain("refused the app's JWT");
    expect(app.refusedJwts).toEqual([]);
  });

  test("check with a key that is not the app's says GitHub refused the JWT", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      type: "pkcs1",
      format: "pem",
    });
    const result = await runRelbotCli(["check", "--config", configFile], {
      ...env,
      GH_APP_KEY: String(other),
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      "github.app: GitHub refused the app's JWT (check GH_APP_ID and GH_APP_KEY)",
    );
  });

  test("serve refuses to start with an installation id that is not a number or a key that is not a PEM key", async () => {
    const result = await runRelbotCli(["serve", "--config", configFile], {
      ...env,
      GH_APP_INSTALLATION: "acme",
      GH_APP_KEY: "ghp_this-is-a-token-not-a-key",
    });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain("github.app.installationIdEnv: GH_APP_INSTALLATION is not a number");
    expect(output).toContain("github.app.privateKeyEnv: GH_APP_KEY does not hold the app's private key");
  });

  test("a config with both a token and an app is refused", async () => {
    const raw = parse(readFileSync(configFile, "utf8"));
    raw.github.tokenEnv = "GITHUB_TOKEN";
    const both = configFile.replace(/relbot\.yaml$/, "both.yaml");
    writeFileSync(both, stringify(raw));
    const result = await runRelbotCli(["check", "--config", both], { ...env, GITHUB_TOKEN: "ghp_x" });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("github: set tokenEnv or app, not both");
  });
});
