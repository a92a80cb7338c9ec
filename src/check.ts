import { accessSync, constants, statSync } from "node:fs";
import type { LoadedConfig } from "./config/index.ts";
import { type GitCredential, probeRemote, redactUrl } from "./git/index.ts";
import { githubAppAccessProblems, githubAppSecretProblems } from "./github/app-check.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";
import { githubAccessFromConfig, gitopsCredentialFrom } from "./wiring/github.ts";

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
  const sourceToken = github?.gitCredential;
  if (github?.installationTokens && !problems.some((problem) => problem.startsWith("github.app"))) {
    const pushesAsApp = gitopsCredential !== undefined && gitopsCredential === github.gitCredential;
    problems.push(...(await githubAppAccessProblems(loaded, github.installationTokens, pushesAsApp)));
  }
  const remotes: [string, string, GitCredential | undefined, boolean][] = [
    ["gitops.url", config.gitops.url, gitopsCredential, true],
    ...Object.entries(config.apps).map(
      ([name, app]): [string, string, GitCredential | undefined, boolean] => [
        `apps.${name}.repo`,
        app.repo,
        sourceToken,
        false,
      ],
    ),
  ];
  const reached = await Promise.all(
    remotes.map(async ([where, url, token, forPush]) => {
      try {
        await probeRemote(url, token, forPush);
        return undefined;
      } catch (error) {
        return `${where}: cannot reach ${redactUrl(url)}: ${(error as Error).message}`;
      }
    }),
  );
  for (const problem of reached) if (problem) problems.push(problem);
  return problems;
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
