// Checks the names in a command against the config before anything is looked up or recorded, so a typo
// gets "unknown env `prd`; did you mean `prod`?" instead of a refusal that reads like a rule. Pure.

import type { AppConfig, EnvironmentConfig, RelbotConfig } from "../config/index.ts";
import { isCanonical } from "./semver.ts";
import { didYouMean } from "./suggest.ts";

export type TargetProblemCode = "unknown_app" | "unknown_env" | "invalid_version";

export type ResolvedTarget =
  | { ok: true; app: string; appConfig: AppConfig; env?: EnvironmentConfig; envIndex?: number }
  | { ok: false; code: TargetProblemCode; message: string };

/**
 * Resolves an app (and optionally an environment and a version's spelling) named in a command.
 * The version is only checked for form here; whether a release of it exists is a promotion rule.
 */
export function resolveCommandTarget(
  config: Pick<RelbotConfig, "apps">,
  target: { app: string; env?: string; version?: string },
): ResolvedTarget {
  const appNames = Object.keys(config.apps);
  const appConfig = config.apps[target.app];
  if (!appConfig || !Object.hasOwn(config.apps, target.app)) {
    const known = appNames.length > 0 ? ` known apps: ${appNames.join(", ")}` : " no apps are configured";
    return {
      ok: false,
      code: "unknown_app",
      message: `unknown app \`${target.app}\`;${didYouMean(target.app, appNames) || known}`,
    };
  }
  if (target.version !== undefined && !isCanonical(target.version)) {
    return {
      ok: false,
      code: "invalid_version",
      message: `\`${target.version}\` is not a Go release version like v1.4.0 or v1.4.0-rc.1`,
    };
  }
  if (target.env === undefined) return { ok: true, app: target.app, appConfig };
  const envNames = appConfig.environments.map((env) => env.name);
  const envIndex = envNames.indexOf(target.env);
  if (envIndex === -1) {
    return {
      ok: false,
      code: "unknown_env",
      message:
        `unknown env \`${target.env}\` for ${target.app};` +
        (didYouMean(target.env, envNames) || ` its environments are ${envNames.join(", ")}`),
    };
  }
  return { ok: true, app: target.app, appConfig, env: appConfig.environments[envIndex]!, envIndex };
}
