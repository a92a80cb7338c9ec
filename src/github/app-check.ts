// What `serve` and `relbot check` verify of a GitHub App setup: the secrets have the right form (start-up), the
// key is the app's and the installation grants what relbot needs (check, which asks GitHub).
import { createPrivateKey } from "node:crypto";
import type { LoadedConfig } from "../config/index.ts";
import type { InstallationTokenSource } from "./app-auth.ts";
import { missingAppPermissions, neededAppPermissions } from "./app-permissions.ts";

/** Problems visible without asking GitHub: an installation id that is not a number, a key that is not a PEM key. */
export function githubAppSecretProblems(loaded: LoadedConfig): string[] {
  const app = loaded.config.github?.app;
  if (!app) return [];
  const problems: string[] = [];
  const installationId = loaded.secrets.get("githubAppInstallationId");
  if (installationId !== undefined && !/^[1-9]\d*$/.test(installationId.trim())) {
    problems.push(
      `github.app.installationIdEnv: ${app.installationIdEnv} is not a number (the id in the app's installation URL)`,
    );
  }
  const privateKey = loaded.secrets.get("githubAppPrivateKey");
  if (privateKey !== undefined) {
    try {
      if (createPrivateKey(privateKey).asymmetricKeyType !== "rsa") throw new Error("not an RSA key");
    } catch (error) {
      problems.push(
        `github.app.privateKeyEnv: ${app.privateKeyEnv} does not hold the app's private key (the .pem GitHub generated): ${(error as Error).message}`,
      );
    }
  }
  return problems;
}

/** Asks GitHub: the key signs for the app, the installation exists and grants every permission relbot needs. */
export async function githubAppAccessProblems(
  loaded: LoadedConfig,
  tokens: InstallationTokenSource,
  pushesToGitHub: boolean,
): Promise<string[]> {
  const app = loaded.config.github?.app;
  if (!app) return [];
  try {
    await tokens.appSlug();
  } catch (error) {
    return [
      `github.app: GitHub refused the app's JWT (check ${app.appIdEnv} and ${app.privateKeyEnv}): ${message(error)}`,
    ];
  }
  let granted: Record<string, string>;
  try {
    granted = (await tokens.installation()).permissions;
  } catch (error) {
    return [
      `github.app.installationIdEnv: cannot read installation ${loaded.secrets.get("githubAppInstallationId")}: ${message(error)}`,
    ];
  }
  return missingAppPermissions(neededAppPermissions(loaded.config, pushesToGitHub), granted).map(
    (need) =>
      `github.app: the installation lacks "${need.permission}: ${need.level}" (needed to ${need.why}); grant it in the app's settings and accept it for the installation`,
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
