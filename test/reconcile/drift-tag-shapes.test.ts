// Drift compares tag names with tag names. relbot writes the release's tag name into the manifest (`api/v2.0.0`
// for a module in `api/`), so its own edit must never read back as drift, whatever shape the module has: a root
// module, a module in a sub-directory, a /vN major version, a gopkg.in path. A real relbot, real git server,
// real signed tags discovered by real reconcile passes over the API; drift looked for in the reconcile report,
// GET /api/v1/apps, the audit log and the dashboard.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import type { RunningRelbot } from "../../src/main.ts";
import { eventually } from "../support/eventually.ts";
import { commitFiles } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { readHeaders } from "../support/relbot-webhooks.ts";
import {
  application,
  createPipelineWorld,
  gitAuth,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

const promoteToken = "drift-shapes-deployer-token";
let world: PipelineWorld;
let relbot: RunningRelbot;

/** One Go repository holding four modules; each app promotes into its own `dev` automatically. */
const app = (module: string, dir: string, file: string) => (repo: string) => ({
  repo,
  module,
  ...(dir ? { dir } : {}),
  signers: "release-team",
  environments: [{ name: "dev", file, auto: true }],
});
const apps = {
  "order-svc": app("github.com/acme/order-svc", "", "envs/dev/order-svc.yaml"),
  "billing-worker": app(
    "github.com/acme/order-svc/workers/billing",
    "workers/billing",
    "envs/dev/billing.yaml",
  ),
  api: app("github.com/acme/order-svc/api", "api", "envs/dev/api.yaml"),
  yaml: app("gopkg.in/acme/yaml", "yaml", "envs/dev/yaml.yaml"),
};

beforeAll(async () => {
  world = await createPipelineWorld({
    apps: (repo) => Object.fromEntries(Object.entries(apps).map(([name, make]) => [name, make(repo)])),
  });
  reconcileOnDemand(world, promoteToken);

  const url = world.source.url;
  world.gitops.pushFromElsewhere(
    {
      "envs/dev/billing.yaml": application(
        "billing-dev",
        url,
        "workers/billing/v0.0.1",
        "workers/billing/deploy",
      ),
      "envs/dev/api.yaml": application("api-dev", url, "api/v1.0.0", "api/deploy"),
      "envs/dev/yaml.yaml": application("yaml-dev", url, "yaml/v2.0.0", "yaml/deploy"),
    },
    "environments for every module",
  );
  commitFiles(
    world.source.work,
    {
      "api/go.mod": "module github.com/acme/order-svc/api/v2\n\ngo 1.22\n",
      "yaml/go.mod": "module gopkg.in/acme/yaml.v2\n\ngo 1.22\n",
    },
    "api v2 and the yaml package",
  );
  const authed = withCredentials(world.source.url, gitAuth.username, gitAuth.password);
  await gitAsync(world.source.work, ["push", "--quiet", authed, "main"]);
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const get = async (path: string) =>
  (await fetch(`${relbot.url}${path}`, { headers: readHeaders })).json() as any;
const reconcile = async () => {
  const response = await fetch(`${relbot.url}/api/v1/reconcile`, {
    method: "POST",
    headers: { Authorization: `Bearer ${promoteToken}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { queued: { app: string; tagName: string }[]; drift: any[] };
};

/** Tags the work tree's HEAD and pushes the tag without any webhook: the reconciler must find it. */
async function releaseWithoutWebhook(tag: string): Promise<void> {
  await world.releaseTag(tag);
  const report = await reconcile();
  expect(report.queued.map((q) => q.tagName)).toContain(tag);
}

describe("relbot's own edit is never drift, for every module shape", () => {
  const shapes: [string, string, string, string, () => void][] = [
    ["root module", "order-svc", "v1.4.0", "envs/dev/order-svc.yaml", () => {}],
    [
      "/vN major version of the root module",
      "order-svc",
      "v2.0.0",
      "envs/dev/order-svc.yaml",
      () => {
        commitFiles(
          world.source.work,
          { "go.mod": "module github.com/acme/order-svc/v2\n\ngo 1.22\n" },
          "v2",
        );
      },
    ],
    [
      "module in a sub-directory (`dir`)",
      "billing-worker",
      "workers/billing/v0.2.0",
      "envs/dev/billing.yaml",
      () => {},
    ],
    ["/vN module in a sub-directory", "api", "api/v2.0.0", "envs/dev/api.yaml", () => {}],
    ["gopkg.in module in a sub-directory", "yaml", "yaml/v2.1.0", "envs/dev/yaml.yaml", () => {}],
  ];

  for (const [shape, appName, tag, file, prepare] of shapes) {
    test(`${shape}: ${appName} ${tag} promoted to dev, then a reconcile pass finds no drift`, async () => {
      prepare();
      await releaseWithoutWebhook(tag);
      const version = tag.slice(tag.lastIndexOf("/") + 1);
      const promotion = await eventually(`${appName} ${version} in dev`, () =>
        promotionsOf(relbot.database.db, appName).find(
          (p) => p.toVersion === version && (p.status === "succeeded" || p.status === "failed"),
        ),
      );
      expect(promotion.status).toBe("succeeded");
      // The manifest holds the tag name, as Argo CD needs it to check the module out.
      expect(world.gitops.show(file)).toContain(`targetRevision: ${tag} # the release running here`);

      const report = await reconcile();
      expect(report.drift.filter((d) => d.app === appName)).toEqual([]);
      const listed = (await get("/api/v1/apps")).apps.find((a: any) => a.name === appName);
      expect(listed.drift).toEqual([]);
      const events = await get("/api/v1/audit/events?kind=drift");
      expect(events.items.filter((e: any) => e.subject === `${appName}/dev`)).toEqual([]);
      const page = await (await fetch(`${relbot.url}/`, { headers: readHeaders })).text();
      expect(page).toContain(`data-app="${appName}" data-env="dev"`);
      expect(page).not.toContain(`data-app="${appName}" data-env="dev" data-drift="true"`);
    });
  }

  test("a hand edit of a sub-directory module's manifest is drift, reported in tag names", async () => {
    world.gitops.pushFromElsewhere(
      { "envs/dev/api.yaml": application("api-dev", world.source.url, "api/v1.0.0", "api/deploy") },
      "hotfix: api back to v1 by hand",
    );
    const report = await reconcile();
    expect(report.drift).toEqual([{ app: "api", env: "dev", expected: "api/v2.0.0", actual: "api/v1.0.0" }]);
    const listed = (await get("/api/v1/apps")).apps.find((a: any) => a.name === "api");
    expect(listed.drift).toMatchObject([{ env: "dev", expected: "api/v2.0.0", actual: "api/v1.0.0" }]);
    const page = await (await fetch(`${relbot.url}/`, { headers: readHeaders })).text();
    expect(page).toContain(`data-app="api" data-env="dev" data-drift="true"`);
  });
});
