// `relbot promote --wait` with Argo CD configured, as a user runs it: a child process on the database of a running
// relbot (real pipeline, real git server, Argo CD's API stood in). Pushed is not the end: the command prints each
// deployment state and exits 0 only once Argo CD runs the release healthy; degraded (with the rollback relbot made)
// and timeout exit 1 with a line that says so.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import type { PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "../support/argocd-api.ts";
import { startRelbotCli } from "../support/cli.ts";
import { commitFiles } from "../support/git.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let argocd: ArgocdStandIn;
let relbot: RunningRelbot;
const commits: Record<string, string> = {};

function setArgocd(timeout: string): void {
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout, pollInterval: "100ms" };
  writeFileSync(world.configFile, stringify(raw));
}

beforeAll(async () => {
  argocd = await startArgocdApi();
  world = await createPipelineWorld({
    apps: (repo) => ({
      "order-svc": {
        repo,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: "envs/staging/order-svc.yaml", onDegraded: "rollback" },
          { name: "prod", file: "envs/prod/order-svc.yaml" },
        ],
      },
    }),
  });
  setArgocd("10m");
  for (const env of ["dev", "staging"]) {
    const app = argocdApplication({
      name: `order-svc-${env}`,
      repoURL: world.source.url,
      targetRevision: "v1.3.0",
    });
    syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
    argocd.setApplication(app);
  }
  world.env.ARGOCD_TOKEN = argocd.token;
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  await argocd?.close();
});

const db = () => relbot.database.db;
const promotionIn = (env: string, version: string, test: (p: PromotionRow) => boolean = () => true) =>
  eventually(`${version} in ${env}`, () =>
    promotionsOf(db(), "order-svc").find((p) => p.env === env && p.toVersion === version && test(p)),
  );
const sync = (env: string, version: string, health: string, message?: string) =>
  argocd.updateApplication(`order-svc-${env}`, "argocd", (app) =>
    syncedTo(app, commits[version]!, health, {
      phase: health === "Progressing" ? "Running" : "Succeeded",
      message,
    }),
  );

/** A signed release that dev (auto) takes and Argo CD runs healthy there, so staging may have it. */
async function healthyInDev(version: string): Promise<void> {
  commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
  world.publishGitHubRelease(version);
  const object = await world.releaseTag(version);
  expect((await deliver(relbot.url, "push", world.pushEvent(version, object))).status).toBe(202);
  await promotionIn("dev", version, (p) => p.deploymentState === "pending");
  sync("dev", version, "Healthy");
  await promotionIn("dev", version, (p) => p.deploymentState === "healthy");
}

const promoteWait = (version: string, env: string) =>
  startRelbotCli(
    [
      "promote",
      "order-svc",
      version,
      "--to",
      env,
      "--wait",
      "--actor",
      "carol",
      "--config",
      world.configFile,
    ],
    world.env,
  );

describe("relbot promote --wait with Argo CD", () => {
  test("prints pushed, pending, progressing and healthy, and exits 0 only once healthy", async () => {
    await healthyInDev("v1.4.0");
    const cli = promoteWait("v1.4.0", "staging");
    await cli.printedLine("deployment pending: ");
    const staging = await promotionIn("staging", "v1.4.0");
    expect(cli.printed()).toContain(
      `Promoted order-svc v1.4.0 to staging (from v1.3.0): GitOps commit \`${staging.gitopsCommit}\` pushed.`,
    );
    sync("staging", "v1.4.0", "Progressing");
    await cli.printedLine("deployment progressing:");
    // Still waiting: progressing is not the end.
    expect(cli.printed()).not.toContain("healthy");
    sync("staging", "v1.4.0", "Healthy");
    const result = await cli.result;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^queued prm_\w+: promotion of order-svc v1\.4\.0 to staging, job job_\w+$/);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^order-svc v1\\.4\\.0 in staging is deployed and healthy, \\d+ (s|min)[^.]* after the push\\. \\(${staging.id}\\)$`,
      ),
    );
    expect(lines.filter((line) => line.startsWith("deployment "))).toEqual([
      expect.stringMatching(/^deployment pending: /),
      expect.stringMatching(/^deployment progressing: /),
      expect.stringMatching(/^deployment healthy: /),
    ]);
  }, 60_000);

  test("a version not yet healthy in the previous environment is refused at once, with the reason", async () => {
    commits["v1.4.1"] = commitFiles(world.source.work, { VERSION: "v1.4.1\n" }, "release v1.4.1");
    world.publishGitHubRelease("v1.4.1");
    const object = await world.releaseTag("v1.4.1");
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.4.1", object))).status).toBe(202);
    // Pushed to dev, but Argo CD has not run it there yet.
    await promotionIn("dev", "v1.4.1", (p) => p.deploymentState === "pending");
    const result = await promoteWait("v1.4.1", "staging").result;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[previous_env_not_healthy]");
    expect(result.stdout).toBe("");
    expect(await promotionIn("staging", "v1.4.1")).toMatchObject({ status: "denied", deploymentState: null });
    // Let dev settle so later tests see a quiet chain.
    sync("dev", "v1.4.1", "Healthy");
    await promotionIn("dev", "v1.4.1", (p) => p.deploymentState === "healthy");
  }, 60_000);

  test("degraded exits 1 with Argo CD's message and the rollback relbot made", async () => {
    await healthyInDev("v1.5.0");
    const cli = promoteWait("v1.5.0", "staging");
    await cli.printedLine("deployment pending:");
    sync("staging", "v1.5.0", "Degraded", "Deployment order-svc exceeded its progress deadline");
    const result = await cli.result;
    expect(result.code).toBe(1);
    const degraded = await promotionIn("staging", "v1.5.0");
    const rollback = await promotionIn("staging", "v1.4.0", (p) => p.kind === "rollback");
    expect(result.stderr).toContain(
      `order-svc v1.5.0 in staging is degraded (Argo CD: health Degraded: Deployment order-svc exceeded its progress deadline). (${degraded.id})`,
    );
    expect(result.stderr).toContain(
      `relbot rolled back: Rolled back order-svc in staging to v1.4.0 (from v1.5.0): GitOps commit \`${rollback.gitopsCommit}\` pushed. (${rollback.id})`,
    );
    expect(result.stdout).not.toContain("healthy");
  }, 60_000);

  test("a deployment Argo CD never runs ends as timeout: exit 1 saying so", async () => {
    // The service's verdict comes after argocd.timeout: restart it with a short one (the watch resumes from the table).
    await relbot.stop();
    setArgocd("2s");
    relbot = await startPipelineRelbot(world);
    // Staging runs v1.4.0 again (rolled back); v1.5.0 was healthy in dev, so it may go there; Argo CD never syncs it.
    sync("staging", "v1.4.0", "Healthy");
    const result = await promoteWait("v1.5.0", "staging").result;
    expect(result.code).toBe(1);
    const again = await promotionIn("staging", "v1.5.0", (p) => p.deploymentState === "timeout");
    expect(result.stdout).toContain("deployment pending:");
    expect(result.stderr).toContain(`order-svc v1.5.0 in staging did not turn healthy in time`);
    expect(result.stderr).toContain(`(${again.id})`);
    expect(result.stderr).not.toContain("rolled back");
  }, 60_000);
});
