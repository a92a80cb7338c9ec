import { accessSync, constants } from "node:fs";
import { type LoadedConfig, readSecret } from "./config/index.ts";
import { probeRemote, redactUrl } from "./git/index.ts";
import { commitSignerFromConfig } from "./wiring/commit-signer.ts";

/**
 * `relbot check`: everything a valid file can still get wrong at run time. Returns every problem found,
 * each naming the setting to fix; an empty list means ready to serve.
 */
export async function findRuntimeProblems(loaded: LoadedConfig, env: NodeJS.ProcessEnv): Promise<string[]> {
  const { config } = loaded;
  const problems: string[] = [];

  for (const [name, set] of Object.entries(config.signers)) {
    for (const [index, file] of set.openpgp.entries()) {
      if (!readable(file)) problems.push(`signers.${name}.openpgp[${index}]: cannot read ${file}`);
    }
    if (set.ssh && !readable(set.ssh)) problems.push(`signers.${name}.ssh: cannot read ${set.ssh}`);
  }

  const secretNames: [string, string | undefined][] = [
    ["gitops.tokenEnv", config.gitops.tokenEnv],
    ["github.tokenEnv", config.github?.tokenEnv],
    ["github.webhookSecretEnv", config.github?.webhookSecretEnv],
    ["slack.signingSecretEnv", config.slack?.signingSecretEnv],
    ...config.api.tokens.map((t, i): [string, string] => [`api.tokens[${i}].tokenEnv`, t.tokenEnv]),
  ];
  for (const [where, envName] of secretNames) {
    if (envName && !readSecret(envName, env))
      problems.push(`${where}: environment variable ${envName} is not set`);
  }

  // gitops.signing: the key must load and be able to sign (cli prints its fingerprint when it does).
  try {
    await commitSignerFromConfig(config, env);
  } catch (error) {
    problems.push((error as Error).message);
  }

  const gitopsToken = readSecret(config.gitops.tokenEnv, env);
  const sourceToken = readSecret(config.github?.tokenEnv, env);
  const remotes: [string, string, string | undefined, boolean][] = [
    ["gitops.url", config.gitops.url, gitopsToken, true],
    ...Object.entries(config.apps).map(([name, app]): [string, string, string | undefined, boolean] => [
      `apps.${name}.repo`,
      app.repo,
      sourceToken,
      false,
    ]),
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

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
