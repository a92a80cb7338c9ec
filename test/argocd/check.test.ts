// `relbot check`'s Argo CD part against the stand-in: the token, then each environment's Application, each problem
// naming the environment and what to fix.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { argocdProblems } from "../../src/argocd/check.ts";
import { ArgocdClient } from "../../src/argocd/client.ts";
import type { RelbotConfig } from "../../src/config/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi } from "../support/argocd-api.ts";

const repo = "https://git.example.com/acme/order-svc.git";
let argocd: ArgocdStandIn;

const config = {
  argocd: { url: "", tokenEnv: "ARGOCD_TOKEN", timeout: 600_000, pollInterval: 10_000 },
  apps: {
    "order-svc": {
      repo,
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [
        { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: false },
        { name: "staging", file: "envs/staging.yaml", auto: false, prerelease: false },
        {
          name: "prod",
          file: "envs/prod.yaml",
          auto: false,
          prerelease: false,
          application: "order-svc-prod",
        },
        { name: "qa", file: "envs/qa.yaml", auto: false, prerelease: false },
      ],
    },
  },
} satisfies Pick<RelbotConfig, "apps" | "argocd">;

const manifests: Record<string, { name?: string; namespace?: string }> = {
  "envs/dev.yaml": { name: "order-svc-dev", namespace: "argocd" },
  "envs/staging.yaml": { name: "order-svc-staging", namespace: "team-a" },
  "envs/prod.yaml": { name: "order-svc-prod", namespace: "argocd" },
  "envs/qa.yaml": { name: "order-svc-qa", namespace: "argocd" },
};
const readApplication = async (file: string) => manifests[file] ?? {};

beforeAll(async () => {
  argocd = await startArgocdApi();
  argocd.setApplication(argocdApplication({ name: "order-svc-dev", repoURL: repo }));
  argocd.setApplication(
    argocdApplication({
      name: "order-svc-prod",
      repoURL: "git@git.example.com:acme/order-svc",
      shape: "sources",
    }),
  );
  argocd.setApplication(
    argocdApplication({ name: "order-svc-qa", repoURL: "https://git.example.com/acme/other.git" }),
  );
});
afterAll(() => argocd.close());

describe("relbot check: Argo CD", () => {
  test("names the exact problem per environment", async () => {
    const client = new ArgocdClient({ url: argocd.url, token: argocd.token });
    expect(await argocdProblems({ config, client, readApplication })).toEqual([
      'apps.order-svc.environments[1] (staging): Argo CD Application team-a/order-svc-staging: Argo CD denied the Application team-a/order-svc-staging ("permission denied"): it does not exist under that name and namespace, or the account lacks `applications, get` on it',
      "apps.order-svc.environments[3] (qa): the Application argocd/order-svc-qa does not read https://git.example.com/acme/order-svc.git (its source reads https://git.example.com/acme/other.git)",
    ]);
  });

  test("a token Argo CD refuses is one problem about argocd.tokenEnv; an unreachable server one about argocd.url", async () => {
    const wrong = new ArgocdClient({ url: argocd.url, token: "not-the-token" });
    const problems = await argocdProblems({ config, client: wrong, readApplication });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith("argocd.tokenEnv: Argo CD refused the token");
    argocd.failWith({ status: 503 });
    try {
      const down = await argocdProblems({
        config,
        client: new ArgocdClient({ url: argocd.url, token: argocd.token }),
        readApplication,
      });
      expect(down).toEqual(['argocd.url: Argo CD answered 503 for the token\'s user ("server unavailable")']);
    } finally {
      argocd.failWith(undefined);
    }
  });
});
