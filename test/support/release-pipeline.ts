// The world a release flows through, all real and local: a git server (with auth) holding a Go repository tagged
// by the real gpg and ssh-keygen and a GitOps repository of Argo CD Applications; GitHub's REST API stood in for
// release assets; a relbot.yaml naming them. Tests drive it with signed, real-shaped webhook deliveries.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RelbotOptions, type RunningRelbot, startRelbot } from "../../src/main.ts";
import { type Db, type JobRow, jobs, promotions, releases } from "../../src/store/index.ts";
import { commitFiles, git, makeWorkRepo } from "./git.ts";
import { gitAsync, withCredentials } from "./git-async.ts";
import { type GitServer, type GitServerOptions, startGitServer } from "./git-server.ts";
import { type GitHubApiStub, startGitHubApi } from "./github-api.ts";
import { releaseByTag } from "./github-releases.ts";
import { createGitopsRepo, type GitopsRepo } from "./gitops-repo.ts";
import { type GpgKey, makeGpgKey, makeSshKey, type SshKey, signedTag } from "./keys.ts";
import { writeTestConfig } from "./relbot-config.ts";
import { fixture, readToken, webhookSecret } from "./relbot-webhooks.ts";

/** One credential for the whole git server: relbot reads the source and pushes to GitOps with it. */
export const gitAuth = { username: "x-access-token", password: "ghs_pipeline-git-token" };
export const gitopsAuthor = { name: "relbot", email: "relbot@acme.example" };

export const spdxBytes = new Uint8Array(
  readFileSync(path.join(import.meta.dir, "../fixtures/sbom/order-svc.spdx.json")),
);

export function application(name: string, repoURL: string, targetRevision: string, path_ = "deploy"): string {
  return `# ${name}: moved by relbot, reviewed by humans
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${repoURL}
    targetRevision: ${targetRevision} # the release running here
    path: ${path_}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
  syncPolicy:
    automated: { prune: true, selfHeal: true }
`;
}

export interface PipelineWorld {
  server: GitServer;
  github: GitHubApiStub;
  gitops: GitopsRepo;
  /** The Go repository: a work tree to commit and tag in, and its URL on the server. */
  source: { work: string; url: string; commit: string };
  gpgKey: GpgKey;
  sshKey: SshKey;
  configFile: string;
  /** The environment relbot runs with: secrets named by the config. */
  env: Record<string, string>;
  /** Signs a tag at HEAD with the key (gpg by default) and pushes it; returns the tag object id. */
  releaseTag(name: string, key?: GpgKey | SshKey): Promise<string>;
  /** Pushes tags made in the work tree by hand (unsigned, several at once). */
  pushTags(...names: string[]): Promise<void>;
  /** Answers "get a release by tag" for the tag with an SPDX asset (or none), in GitHub's shapes. */
  publishGitHubRelease(tag: string, options?: { sbom?: boolean }): void;
  /** A `push` delivery body for a tag, as GitHub sends it. */
  pushEvent(tag: string, tagObject: string): string;
  /** A `create` delivery body for a tag. */
  createEvent(tag: string): string;
  dispose(): Promise<void>;
}

export async function createPipelineWorld(
  options: {
    apps?: (sourceUrl: string) => Record<string, Record<string, unknown>>;
    /** Sees each request to the git server first (and may answer it): tests that look at request headers. */
    gitIntercept?: GitServerOptions["intercept"];
  } = {},
): Promise<PipelineWorld> {
  const server = await startGitServer({ auth: gitAuth, intercept: options.gitIntercept });
  const github = await startGitHubApi();
  const gpgKey = makeGpgKey({ name: "Release Team", email: "release@acme.example" });
  const sshKey = makeSshKey({ principal: "ci@acme.example" });

  const work = makeWorkRepo();
  const commit = commitFiles(
    work,
    {
      "go.mod": "module github.com/acme/order-svc\n\ngo 1.22\n",
      "main.go": "package main\n\nfunc main() {}\n",
      "workers/billing/go.mod": "module github.com/acme/order-svc/workers/billing\n\ngo 1.22\n",
    },
    "order service",
  );
  const sourceUrl = server.createRepo("acme/order-svc.git");
  const authedSource = withCredentials(sourceUrl, gitAuth.username, gitAuth.password);
  await gitAsync(work, ["push", "--quiet", authedSource, "main"]);

  const gitops = createGitopsRepo(server, {
    "README.md": "# acme gitops\n",
    "envs/dev/order-svc.yaml": application("order-svc-dev", sourceUrl, "v1.3.0"),
    "envs/staging/order-svc.yaml": application("order-svc-staging", sourceUrl, "v1.3.0"),
    "envs/prod/order-svc.yaml": application("order-svc-prod", sourceUrl, "v1.3.0"),
    "envs/dev/billing-worker.yaml": application(
      "billing-worker-dev",
      sourceUrl,
      "workers/billing/v0.0.1",
      "workers/billing/deploy",
    ),
  });

  const apps = options.apps?.(sourceUrl) ?? {
    "order-svc": {
      repo: sourceUrl,
      module: "github.com/acme/order-svc",
      signers: "release-team",
      sbom: { asset: "*.spdx.json", required: true },
      environments: [
        { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
        { name: "staging", file: "envs/staging/order-svc.yaml" },
        { name: "prod", file: "envs/prod/order-svc.yaml", approvers: ["alice"] },
      ],
    },
    "billing-worker": {
      repo: sourceUrl,
      module: "github.com/acme/order-svc/workers/billing",
      dir: "workers/billing",
      signers: "release-team",
      environments: [{ name: "dev", file: "envs/dev/billing-worker.yaml", auto: true }],
    },
  };
  const configFile = writeTestConfig({
    gitopsUrl: gitops.url,
    gitopsTokenEnv: "GITOPS_TOKEN",
    signers: { "release-team": { openpgp: ["keys/release-team.asc"], ssh: "keys/allowed_signers" } },
    files: {
      "keys/release-team.asc": gpgKey.publicKey,
      "keys/allowed_signers": `${sshKey.allowedSignersLine}\n`,
    },
    apps,
    extra: {
      github: { apiUrl: github.url, tokenEnv: "GITHUB_TOKEN", webhookSecretEnv: "GITHUB_WEBHOOK_SECRET" },
      api: { tokens: [{ name: "auditor", tokenEnv: "RELBOT_AUDIT_TOKEN", scopes: ["read"] }] },
    },
  });
  // gitops.author is not in writeTestConfig's options: set it in the file.
  const raw = parse(readFileSync(configFile, "utf8"));
  raw.gitops.author = gitopsAuthor;
  writeFileSync(configFile, stringify(raw));

  const env = {
    GITOPS_TOKEN: `${gitAuth.username}:${gitAuth.password}`,
    GITHUB_TOKEN: gitAuth.password,
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    RELBOT_AUDIT_TOKEN: readToken,
  };

  // The asset download answers like GitHub: a 302 to signed storage, which serves the bytes.
  github.on("GET /repos/:owner/:repo/releases/assets/:id", (_request, params) => ({
    status: 302,
    headers: { Location: `/storage/asset-${params.id}?sig=test` },
  }));
  github.on("GET /storage/:file", { body: spdxBytes, headers: { "Content-Type": "application/json" } });
  const published = new Map<string, boolean>();
  github.on("GET /repos/:owner/:repo/releases/tags/:tag", (_request, params) => {
    const tag = params.tag!;
    if (!published.has(tag)) return { status: 404, body: { message: "Not Found" } };
    const assets = published.get(tag)
      ? [
          { id: 7001, name: "checksums.txt", size: 90 },
          { id: 7002, name: `order-svc_${tag}.spdx.json`, size: spdxBytes.byteLength },
        ]
      : [{ id: 7001, name: "checksums.txt", size: 90 }];
    return { body: releaseByTag(github.url, params.owner!, params.repo!, tag, assets) };
  });

  const repoFields = (body: any) => {
    body.repository.clone_url = sourceUrl;
    body.repository.html_url = sourceUrl.replace(/\.git$/, "");
    body.repository.ssh_url = "git@github.com:acme/order-svc.git";
    return body;
  };

  return {
    server,
    github,
    gitops,
    source: { work, url: sourceUrl, commit },
    gpgKey,
    sshKey,
    configFile,
    env,
    async releaseTag(name, key = gpgKey) {
      const object = signedTag(work, name, key);
      await gitAsync(work, ["push", "--quiet", authedSource, `refs/tags/${name}`]);
      return object;
    },
    async pushTags(...names) {
      await gitAsync(work, ["push", "--quiet", authedSource, ...names.map((n) => `refs/tags/${n}`)]);
    },
    publishGitHubRelease(tag, { sbom = true } = {}) {
      published.set(tag, sbom);
    },
    pushEvent(tag, tagObject) {
      const body = repoFields(JSON.parse(fixture("push-tag")));
      body.ref = `refs/tags/${tag}`;
      body.after = tagObject;
      body.head_commit.id = commit;
      return JSON.stringify(body);
    },
    createEvent(tag) {
      const body = repoFields(JSON.parse(fixture("create-tag")));
      body.ref = tag;
      return JSON.stringify(body);
    },
    async dispose() {
      gpgKey.dispose();
      sshKey.dispose();
      await github.close();
      await server.close();
    },
  };
}

/**
 * Reconcile passes only when a test asks for one (interval 0: no timer), and a `deployer` API token with the promote
 * scope (POST /api/v1/reconcile, POST /api/v1/promotions) whose secret is `token`.
 */
export function reconcileOnDemand(world: PipelineWorld, token: string): void {
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  raw.api.tokens.push({ name: "deployer", tokenEnv: "RELBOT_DEPLOY_TOKEN", scopes: ["read", "promote"] });
  writeFileSync(world.configFile, stringify(raw));
  world.env.RELBOT_DEPLOY_TOKEN = token;
}

/** relbot in this process on a random port, over the world's config. */
export function startPipelineRelbot(
  world: PipelineWorld,
  options: Partial<RelbotOptions> = {},
): Promise<RunningRelbot> {
  return startRelbot({
    loaded: loadConfig({ file: world.configFile, env: world.env }),
    logger: silentLogger,
    port: 0,
    hostname: "127.0.0.1",
    worker: { pollMs: 50 },
    pipeline: { autoPromoteDelayMs: 150 },
    ...options,
  });
}

export const jobById = (db: Db, id: string): JobRow | undefined =>
  db.select().from(jobs).where(eq(jobs.id, id)).get();

export const releasesOf = (db: Db, app: string) =>
  db.select().from(releases).where(eq(releases.app, app)).all();
export const promotionsOf = (db: Db, app: string) =>
  db.select().from(promotions).where(eq(promotions.app, app)).orderBy(promotions.id).all();

/** A commit's trailers, as git itself parses them. */
export function trailers(bare: string, commit: string): Record<string, string> {
  const text = git(bare, ["log", "-1", "--format=%(trailers:only,unfold)", commit]);
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      }),
  );
}

// Moved to ./eventually.ts (one waiter for every test); re-exported so branches written before the move still build.
export { eventually, settledJob as finishedJob } from "./eventually.ts";
