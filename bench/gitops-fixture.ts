// A GitOps repository the size of a real platform team's, of any size: N Application files (5 environments x N/5
// apps, `envs/<env>/gNN/app-NNNNN.yaml`, 1,000 apps a directory as big monorepos shard them: at 100,000 files a flat
// environment directory would be a 20,000-entry tree rewritten by every commit, which real repositories avoid and
// which would take fast-import most of an hour to write 50,000 times) and M commits each moving one app's
// targetRevision, written by one streamed
// `git fast-import` run (then `git repack -ad --write-bitmap-index`, as a hosted repository would be). The bench
// builds it with the git CLI; the no-shelling-out rule is relbot's, not its fixtures'.
//
// Built repositories are cached between runs (5,000/2,000 takes seconds, 100,000/50,000 minutes on a 2-core VM) in
// `$RELBOT_BENCH_FIXTURES`, by default `<tmpdir>/relbot-bench-fixtures/`: never in the project tree. Delete the
// directory (or pass `--fresh` to the benches) to rebuild.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runGit } from "../src/devtools/git-cli.ts";

export const environments = ["dev", "qa", "staging", "preprod", "prod"];

/** Repository shape: Application files (spread over the environments) and commits of history. */
export interface GitopsShape {
  applications: number;
  commits: number;
  /** Apps a directory (default 1,000); 0 = flat, every app of an environment in `envs/<env>/` (one big tree). */
  appsPerDirectory?: number;
}

export const defaultShape: GitopsShape = { applications: 5000, commits: 2000 };

/** Apps per environment directory for a shape (5,000 Applications = 1,000 apps in each of 5 environments). */
export function appsPerEnv(shape: GitopsShape): number {
  return Math.max(1, Math.floor(shape.applications / environments.length));
}

export function appName(index: number): string {
  return `app-${String(index).padStart(5, "0")}`;
}

export function appRepo(index: number): string {
  return `https://github.com/acme/${appName(index)}.git`;
}

/** Apps per directory by default: every tree along a manifest's path stays small whatever the repository's size. */
export const defaultAppsPerDirectory = 1000;

export function manifestFile(env: string, index: number, shape?: GitopsShape): string {
  const perDirectory = shape?.appsPerDirectory ?? defaultAppsPerDirectory;
  if (perDirectory === 0) return `envs/${env}/${appName(index)}.yaml`;
  const group = `g${String(Math.floor(index / perDirectory)).padStart(2, "0")}`;
  return `envs/${env}/${group}/${appName(index)}.yaml`;
}

export function applicationManifest(env: string, index: number, version: string): string {
  const app = appName(index);
  return `# ${app} in ${env}: targetRevision is moved by relbot.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${app}-${env}
  namespace: argocd
  labels:
    team: team-${index % 40}
spec:
  project: ${env}
  source:
    repoURL: ${appRepo(index)}
    targetRevision: ${version}  # the release tag
    path: deploy/${env}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${app}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
`;
}

const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;

/** Streams the history into `git fast-import` inside the bare repository; resolves when git is done. */
export async function buildGitopsHistory(bareRepo: string, shape: GitopsShape = defaultShape): Promise<void> {
  const perEnv = appsPerEnv(shape);
  let time = 1_700_000_000;
  const header = (message: string) =>
    `commit refs/heads/main\ncommitter Platform Team <platform@example.com> ${time++} +0000\n${data(message)}`;
  await fastImport(bareRepo, function* () {
    yield header("all environments");
    for (const env of environments) {
      for (let i = 0; i < perEnv; i++) {
        yield `M 100644 inline ${manifestFile(env, i, shape)}\n${data(applicationManifest(env, i, "v1.0.0"))}`;
      }
    }
    for (let c = 1; c < shape.commits; c++) {
      const env = environments[c % environments.length]!;
      const index = (c * 7919) % perEnv;
      yield `${header(`${appName(index)}: ${env} -> v1.0.${c}`)}M 100644 inline ${manifestFile(env, index, shape)}\n${data(applicationManifest(env, index, `v1.0.${c}`))}`;
    }
  });
}

/** Adds one commit on top of `main` writing `files` (path -> content), with `git fast-import` (no checkout). */
export async function commitOnTop(bareRepo: string, files: Record<string, string>, message: string) {
  const tip = runGit(bareRepo, ["rev-parse", "refs/heads/main"]).trim();
  await fastImport(bareRepo, function* () {
    yield `commit refs/heads/main\ncommitter Platform Team <platform@example.com> ${Math.floor(Date.now() / 1000)} +0000\n${data(message)}from ${tip}\n`;
    for (const [file, text] of Object.entries(files)) yield `M 100644 inline ${file}\n${data(text)}`;
  });
}

/** Writes the generated stream to `git fast-import`, honouring back-pressure so memory stays small. */
async function fastImport(bareRepo: string, stream: () => Generator<string>): Promise<void> {
  const child = spawn("git", ["fast-import", "--quiet", "--depth=50"], {
    cwd: bareRepo,
    stdio: ["pipe", "inherit", "inherit"],
  });
  const closed = new Promise<void>((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}`)),
    ),
  );
  let batch = "";
  for (const chunk of stream()) {
    batch += chunk;
    if (batch.length < 1 << 20) continue;
    if (!child.stdin.write(batch)) await new Promise((resolve) => child.stdin.once("drain", resolve));
    batch = "";
  }
  child.stdin.end(batch);
  await closed;
}

export function fixtureRoot(): string {
  return process.env.RELBOT_BENCH_FIXTURES ?? path.join(tmpdir(), "relbot-bench-fixtures");
}

/**
 * A built bare repository of this shape from the fixture cache, building it first when missing (or when `fresh`).
 * Bump the version in the name when the generator changes so stale fixtures are not reused.
 */
export async function cachedGitopsFixture(
  shape: GitopsShape,
  options: { fresh?: boolean; log?: (line: string) => void } = {},
): Promise<{ path: string; builtMs: number | null }> {
  const root = fixtureRoot();
  const layout = shape.appsPerDirectory ?? defaultAppsPerDirectory;
  const target = path.join(
    root,
    `gitops-v3-${shape.applications}a-${shape.commits}c${layout === defaultAppsPerDirectory ? "" : `-${layout || "flat"}`}.git`,
  );
  if (options.fresh) rmSync(target, { recursive: true, force: true });
  if (existsSync(path.join(target, "relbot-fixture-complete"))) return { path: target, builtMs: null };
  mkdirSync(root, { recursive: true });
  const building = `${target}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const started = performance.now();
  runGit(building, ["init", "--bare", "--quiet"]);
  runGit(building, ["symbolic-ref", "HEAD", "refs/heads/main"]);
  options.log?.(
    `building the GitOps fixture ${shape.applications} Applications / ${shape.commits} commits in ${target}`,
  );
  await buildGitopsHistory(building, shape);
  // Reuses fast-import's deltas (no -f), so this is quick even at 100,000 files.
  await new Promise<void>((resolve, reject) =>
    spawn("git", ["repack", "-adq", "--write-bitmap-index"], { cwd: building, stdio: "inherit" }).on(
      "close",
      (code) => (code === 0 ? resolve() : reject(new Error(`git repack exited ${code}`))),
    ),
  );
  await Bun.write(path.join(building, "relbot-fixture-complete"), `${new Date().toISOString()}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(building, target);
  return { path: target, builtMs: performance.now() - started };
}

/**
 * Puts a copy of the cached fixture on a git server as `name` (objects hard-linked: packs never change in place),
 * ready to push to. Returns the bare repository's path.
 */
export function serveFixture(fixture: string, serverRoot: string, name: string): string {
  const dest = path.join(serverRoot, name);
  mkdirSync(path.dirname(dest), { recursive: true });
  runGit(serverRoot, ["clone", "--bare", "--quiet", "--local", fixture, dest]);
  runGit(dest, ["symbolic-ref", "HEAD", "refs/heads/main"]);
  runGit(dest, ["config", "http.receivepack", "true"]);
  return dest;
}
