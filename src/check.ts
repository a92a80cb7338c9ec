import { accessSync, constants, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { argocdProblems } from "./argocd/check.ts";
import type { LoadedConfig } from "./config/index.ts";
import { nearest } from "./domain/suggest.ts";
import { type GitCredential, listRemoteRefs, type RemoteRefs, redactUrl } from "./git/index.ts";
import { githubAppAccessProblems, githubAppSecretProblems } from "./github/app-check.ts";
import { silentLogger } from "./log.ts";
import { argocdClientFromConfig } from "./wiring/argocd.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";
import { githubAccessFromConfig, gitopsCredentialFrom } from "./wiring/github.ts";
import { gitopsWriterFromConfig } from "./wiring/pipeline.ts";

/**
 * What `serve` refuses to start without: every secret the config names set, every signer file readable. Without
 * them relbot would start and then fail on every job; better to name them all at once and not start.
 */
export function findStartupProblems(loaded: LoadedConfig): string[] {
  const { config, secrets } = loaded;
  const problems: string[] = [];
  for (const { setting, envName } of secrets.missing())
    problems.push(`${setting}: environment variable ${envName} is not set`);
  for (const [name, set] of Object.entries(config.signers)) {
    for (const [index, file] of set.openpgp.entries()) {
      const why = unreadable(file);
      if (why) problems.push(`signers.${name}.openpgp[${index}]: cannot read ${file} (${why})`);
    }
    const why = set.ssh && unreadable(set.ssh);
    if (why) problems.push(`signers.${name}.ssh: cannot read ${set.ssh} (${why})`);
  }
  problems.push(...githubAppSecretProblems(loaded));
  return problems;
}

/**
 * `relbot check`: everything a valid file can still get wrong at run time. Returns every problem found,
 * each naming the setting to fix; an empty list means ready to serve.
 */
export async function findRuntimeProblems(loaded: LoadedConfig): Promise<string[]> {
  const { config, secrets } = loaded;
  const problems = findStartupProblems(loaded);

  // gitops.signing: a key that is set must load and be able to sign (an unset one is reported above).
  if (secrets.get("commitSigningKey")) {
    try {
      await commitSignerFromConfig(loaded);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  // The same credentials the service uses: tokens, or the GitHub App's installation token.
  const github = githubAccessFromConfig(config, secrets);
  const gitopsCredential = gitopsCredentialFrom(
    config.gitops.url,
    secrets.get("gitopsToken"),
    config,
    secrets,
  );
  if (github?.installationTokens && !problems.some((problem) => problem.startsWith("github.app"))) {
    const pushesAsApp = gitopsCredential !== undefined && gitopsCredential === github.gitCredential;
    problems.push(...(await githubAppAccessProblems(loaded, github.installationTokens, pushesAsApp)));
  }
  const [gitops, sources, argocd] = await Promise.all([
    gitopsProblems(loaded, gitopsCredential),
    sourceRepoProblems(loaded, github?.gitCredential),
    argocdCheck(loaded),
  ]);
  return [...problems, ...gitops, ...sources, ...argocd];
}

/** The GitOps repository answers, has gitops.branch, and every environment's file holds the app's Application. */
async function gitopsProblems(
  loaded: LoadedConfig,
  credential: GitCredential | undefined,
): Promise<string[]> {
  const { config, secrets } = loaded;
  const { url, branch } = config.gitops;
  let refs: RemoteRefs;
  try {
    refs = await listRemoteRefs(url, credential, true);
  } catch (error) {
    return [`gitops.url: cannot reach ${redactUrl(url)}: ${(error as Error).message}`];
  }
  if (!refs.branches.includes(branch)) {
    const there =
      refs.branches.length > 0 ? `branches there: ${refs.branches.join(", ")}` : "it has no branches yet";
    return [`gitops.branch: ${redactUrl(url)} has no branch "${branch}" (${there})`];
  }

  const targets = Object.entries(config.apps).flatMap(([appName, app]) =>
    app.environments.map((env, index) => ({
      where: `apps.${appName}.environments[${index}].file`,
      file: env.file,
      repoUrl: app.repo,
      ...(env.application ? { application: env.application } : {}),
    })),
  );
  // A throwaway one-commit clone: the service's cache belongs to the service's process.
  const cacheDir = mkdtempSync(path.join(tmpdir(), "relbot-check-"));
  try {
    const writer = gitopsWriterFromConfig(config, secrets, silentLogger, { cacheDir, historyDepth: 1 });
    const { files, problems } = await writer.diagnoseTargets(targets);
    return targets.flatMap((target, index) => {
      const problem = problems[index];
      if (!problem) return [];
      if (problem.code !== "gitops.file_missing") return [`${target.where}: ${problem.message}`];
      const near = nearest(target.file, files);
      const hint = near ? ` (nearest existing path: ${near})` : " (the branch has no files)";
      return [`${target.where}: ${target.file} does not exist on ${branch} of ${redactUrl(url)}${hint}`];
    });
  } catch (error) {
    return [`gitops.url: cannot read ${branch} of ${redactUrl(url)}: ${(error as Error).message}`];
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Argo CD deployment feedback: the token, and each environment's Application (src/argocd/check.ts). */
async function argocdCheck(loaded: LoadedConfig): Promise<string[]> {
  const { config, secrets } = loaded;
  const client = argocdClientFromConfig(config, secrets);
  if (!client || !secrets.get("argocdToken")) return [];
  const cacheDir = mkdtempSync(path.join(tmpdir(), "relbot-check-argocd-"));
  try {
    const writer = gitopsWriterFromConfig(config, secrets, silentLogger, { cacheDir, historyDepth: 1 });
    return await argocdProblems({
      config,
      client,
      readApplication: (file, application) => writer.readApplicationMetadata(file, application),
    });
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Every app's repository answers and has a default branch (HEAD) to read from. */
async function sourceRepoProblems(
  loaded: LoadedConfig,
  credential: GitCredential | undefined,
): Promise<string[]> {
  const { config } = loaded;
  const found = await Promise.all(
    Object.entries(config.apps).map(async ([appName, app]) => {
      const where = `apps.${appName}.repo`;
      try {
        const refs = await listRemoteRefs(app.repo, credential);
        const head = refs.head?.replace(/^refs\/heads\//, "");
        if (head === undefined || !refs.branches.includes(head)) {
          return [
            `${where}: ${redactUrl(app.repo)} has no default branch (HEAD names no branch there): push one, or set the repository's default branch`,
          ];
        }
        return [];
      } catch (error) {
        return [`${where}: cannot reach ${redactUrl(app.repo)}: ${(error as Error).message}`];
      }
    }),
  );
  return found.flat();
}

/** Why a file cannot be read, or undefined when it can. */
function unreadable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return "not a file";
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "no such file";
    if (code === "EACCES") return "permission denied";
    return code ?? (error as Error).message;
  }
}
