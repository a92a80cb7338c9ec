// `relbot check` for deployment feedback: the token works, and every environment's Application exists, may be read
// by the account, and reads from the app's repository. Each problem names the setting or environment to fix.
import type { RelbotConfig } from "../config/index.ts";
import { lookAtDeployment } from "../domain/deployment-health.ts";
import { type ApplicationRef, type ArgocdClient, ArgocdError, describeApplicationRef } from "./client.ts";

export interface ArgocdCheckDeps {
  config: Pick<RelbotConfig, "apps" | "argocd">;
  client: Pick<ArgocdClient, "whoAmI" | "getApplication">;
  /** metadata.name/namespace of an environment's Application, from its manifest in the GitOps repository. */
  readApplication(file: string, application?: string): Promise<{ name?: string; namespace?: string }>;
}

export async function argocdProblems(deps: ArgocdCheckDeps): Promise<string[]> {
  const { config, client } = deps;
  if (!config.argocd) return [];
  try {
    await client.whoAmI();
  } catch (error) {
    const setting = error instanceof ArgocdError && !error.outage ? "argocd.tokenEnv" : "argocd.url";
    return [`${setting}: ${(error as Error).message}`];
  }
  const found = await Promise.all(
    Object.entries(config.apps).flatMap(([appName, app]) =>
      app.environments.map(async (env, index) => {
        const where = `apps.${appName}.environments[${index}]`;
        let ref: ApplicationRef;
        try {
          const metadata = await deps.readApplication(env.file, env.application);
          const name = env.application ?? metadata.name;
          // A manifest relbot cannot read is reported by the GitOps check; nothing to ask Argo CD about then.
          if (!name) return [];
          ref = { name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) };
        } catch {
          return [];
        }
        try {
          const application = await client.getApplication(ref);
          // Any commit will do: only whether the Application reads the app's repository is asked here.
          const look = lookAtDeployment(application, app.repo, "");
          return look.verdict === "no_source" ? [`${where} (${env.name}): ${look.message}`] : [];
        } catch (error) {
          return [
            `${where} (${env.name}): Argo CD Application ${describeApplicationRef(ref)}: ${(error as Error).message}`,
          ];
        }
      }),
    ),
  );
  return found.flat();
}
