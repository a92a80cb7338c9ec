import { accessSync, constants } from "node:fs";
import type { LoadedConfig } from "./config/index.ts";
import { probeRemote, redactUrl } from "./git/index.ts";

/**
 * `relbot check`: everything a valid file can still get wrong at run time. Returns every problem found,
 * each naming the setting to fix; an empty list means ready to serve.
 */
export async function findRuntimeProblems(loaded: LoadedConfig): Promise<string[]> {
  const { config, secrets } = loaded;
  const problems: string[] = [];

  for (const [name, set] of Object.entries(config.signers)) {
    for (const [index, file] of set.openpgp.entries()) {
      if (!readable(file)) problems.push(`signers.${name}.openpgp[${index}]: cannot read ${file}`);
    }
    if (set.ssh && !readable(set.ssh)) problems.push(`signers.${name}.ssh: cannot read ${set.ssh}`);
  }

  for (const { setting, envName } of secrets.missing())
    problems.push(`${setting}: environment variable ${envName} is not set`);

  const gitopsToken = secrets.get("gitopsToken");
  const sourceToken = secrets.get("githubToken");
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
