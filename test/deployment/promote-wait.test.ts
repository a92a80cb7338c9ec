// `relbot promote --wait` with Argo CD configured, as a user runs it: a child process on the database of a running
// relbot (real pipeline, real git server, Argo CD's API stood in). Pushed is not the end: the command prints each
// deployment state and exits 0 only once Argo CD runs the release healthy; degraded (with the rollback relbot made)
// and timeout exit 1 with a line that says so.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ArgocdPipeline, createArgocdPipeline } from "../support/argocd-pipeline.ts";
import { startRelbotCli } from "../support/cli.ts";

let p: ArgocdPipeline;
beforeAll(async () => {
  p = await createArgocdPipeline({
    environments: [
      { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
      { name: "staging", file: "envs/staging/order-svc.yaml", onDegraded: "rollback" },
      { name: "prod", file: "envs/prod/order-svc.yaml" },
    ],
    applications: ["dev", "staging"],
  });
});
afterAll(() => p?.dispose());

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
      p.world.configFile,
    ],
    p.world.env,
  );

describe("relbot promote --wait with Argo CD", () => {
  test("prints pushed, pending, progressing and healthy, and exits 0 only once healthy", async () => {
    await p.healthyInDev("v1.4.0");
    const cli = promoteWait("v1.4.0", "staging");
    await cli.printedLine("deployment pending: ");
    const staging = await p.promotionIn("staging", "v1.4.0");
    expect(cli.printed()).toContain(
      `Promoted order-svc v1.4.0 to staging (from v1.3.0): GitOps commit \`${staging.gitopsCommit}\` pushed.`,
    );
    p.sync("staging", "v1.4.0", "Progressing");
    await cli.printedLine("deployment progressing:");
    // Still waiting: progressing is not the end.
    expect(cli.printed()).not.toContain("deployment healthy");
    p.sync("staging", "v1.4.0", "Healthy");
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
    await p.release("v1.4.1");
    // Pushed to dev, but Argo CD has not run it there yet.
    await p.promotionIn("dev", "v1.4.1", (p) => p.deploymentState === "pending");
    const result = await promoteWait("v1.4.1", "staging").result;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[previous_env_not_healthy]");
    expect(result.stdout).toBe("");
    expect(await p.promotionIn("staging", "v1.4.1")).toMatchObject({
      status: "denied",
      deploymentState: null,
    });
    // Let dev settle so later tests see a quiet chain.
    p.sync("dev", "v1.4.1", "Healthy");
    await p.promotionIn("dev", "v1.4.1", (p) => p.deploymentState === "healthy");
  }, 60_000);

  test("degraded exits 1 with Argo CD's message and the rollback relbot made", async () => {
    await p.healthyInDev("v1.5.0");
    const cli = promoteWait("v1.5.0", "staging");
    await cli.printedLine("deployment pending:");
    p.sync("staging", "v1.5.0", "Degraded", "Deployment order-svc exceeded its progress deadline");
    const result = await cli.result;
    expect(result.code).toBe(1);
    const degraded = await p.promotionIn("staging", "v1.5.0");
    const rollback = await p.promotionIn("staging", "v1.4.0", (p) => p.kind === "rollback");
    expect(result.stderr).toContain(
      `order-svc v1.5.0 in staging is degraded (Argo CD: health Degraded: Deployment order-svc exceeded its progress deadline). (${degraded.id})`,
    );
    expect(result.stderr).toContain(
      `relbot rolled back: Rolled back order-svc in staging to v1.4.0 (from v1.5.0): GitOps commit \`${rollback.gitopsCommit}\` pushed. (${rollback.id})`,
    );
    expect(result.stdout).not.toContain("is deployed and healthy");
  }, 60_000);

  test("a deployment Argo CD never runs ends as timeout: exit 1 saying so", async () => {
    // The service's verdict comes after argocd.timeout: restart it with a short one (the watch resumes from the table).
    p.editConfig((raw) => {
      raw.argocd.timeout = "2s";
    });
    await p.restart();
    // Staging runs v1.4.0 again (rolled back); v1.5.0 was healthy in dev, so it may go there; Argo CD never syncs it.
    p.sync("staging", "v1.4.0", "Healthy");
    const result = await promoteWait("v1.5.0", "staging").result;
    expect(result.code).toBe(1);
    const again = await p.promotionIn("staging", "v1.5.0", (p) => p.deploymentState === "timeout");
    expect(result.stdout).toContain("deployment pending:");
    expect(result.stderr).toContain(`order-svc v1.5.0 in staging did not turn healthy in time`);
    expect(result.stderr).toContain(`(${again.id})`);
    expect(result.stderr).not.toContain("rolled back");
  }, 60_000);
});
