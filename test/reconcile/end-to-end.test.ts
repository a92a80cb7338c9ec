// The reconciler on the whole service: tags found without any webhook go through the same release jobs and
// auto-promotion, a webhook racing it changes nothing, a moved tag is flagged and never promoted, and a hand edit
// of a manifest shows up as drift. Real git server, real gpg signatures, real GitOps commits.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningRelbot } from "../../src/main.ts";
import { runRelbotCli } from "../support/cli.ts";
import { eventually, queueSettled } from "../support/eventually.ts";
import { commitFiles, git } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { signedTag } from "../support/keys.ts";
import { deliver, readHeaders } from "../support/relbot-webhooks.ts";
import {
  application,
  createPipelineWorld,
  gitAuth,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  releasesOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

const promoteToken = "reconcile-deployer-token";
let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  reconcileOnDemand(world, promoteToken);
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

const db = () => relbot.database.db;
const commitCount = () => world.gitops.log().length;
const api = async (path: string) =>
  (await fetch(`${relbot.url}${path}`, { headers: readHeaders })).json() as any;
const settled = () => queueSettled(db());
const devPromotionsTo = (versions: string[]) =>
  promotionsOf(db(), "order-svc").filter((p) => p.env === "dev" && versions.includes(p.toVersion));

describe("reconciler on the running service", () => {
  const burst = ["v1.5.0", "v1.5.1", "v1.5.2", "v1.5.3", "v1.5.4"];

  test("5 signed tags pushed at once with no webhook: all 5 recorded, only the newest promoted to dev, once", async () => {
    const before = commitCount();
    for (const tag of burst) {
      world.publishGitHubRelease(tag);
      signedTag(world.source.work, tag, world.gpgKey);
    }
    await world.pushTags(...burst);

    const response = await fetch(`${relbot.url}/api/v1/reconcile`, {
      method: "POST",
      headers: { Authorization: `Bearer ${promoteToken}` },
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as any;
    expect(report.queued.map((q: any) => `${q.app} ${q.tagName}`).sort()).toEqual(
      burst.map((t) => `order-svc ${t}`),
    );

    await eventually("v1.5.4 in dev", () =>
      devPromotionsTo(["v1.5.4"]).find((p) => p.status === "succeeded"),
    );
    await settled();
    const recorded = releasesOf(db(), "order-svc").filter((r) => burst.includes(r.version));
    expect(recorded.map((r) => `${r.version} ${r.status} ${r.source}`).sort()).toEqual(
      burst.map((t) => `${t} verified reconcile`),
    );
    expect(devPromotionsTo(burst).map((p) => `${p.toVersion} ${p.status} ${p.source}`)).toEqual([
      "v1.5.4 succeeded reconcile",
    ]);
    expect(commitCount()).toBe(before + 1);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.5.4");

    // A second pass finds nothing new.
    expect((await relbot.reconciler!.runOnce()).queued).toEqual([]);
  });

  test("a webhook and the reconciler racing for the same tag make one release and one promotion", async () => {
    world.publishGitHubRelease("v1.6.0");
    const tagObject = await world.releaseTag("v1.6.0");
    const [answer] = await Promise.all([
      deliver(relbot.url, "push", world.pushEvent("v1.6.0", tagObject)),
      relbot.reconciler!.runOnce(),
    ]);
    expect(answer.status).toBe(202);
    await eventually("v1.6.0 in dev", () =>
      devPromotionsTo(["v1.6.0"]).find((p) => p.status === "succeeded"),
    );
    await settled();
    expect(releasesOf(db(), "order-svc").filter((r) => r.version === "v1.6.0")).toHaveLength(1);
    expect(devPromotionsTo(["v1.6.0"])).toHaveLength(1);
  });

  test("a moved tag is flagged moved in the API, never promoted, and the environment running it pinned", async () => {
    const before = commitCount();
    const work = world.source.work;
    commitFiles(
      work,
      { "main.go": 'package main\n\nfunc main() { println("sneaky") }\n' },
      "not what was released",
    );
    git(work, ["tag", "-d", "v1.6.0"]);
    const movedTo = signedTag(work, "v1.6.0", world.gpgKey);
    // A plain push of a moved tag is refused, so people force it.
    const authed = withCredentials(world.source.url, gitAuth.username, gitAuth.password);
    await gitAsync(work, ["push", "--quiet", "--force", authed, "refs/tags/v1.6.0"]);

    const report = await relbot.reconciler!.runOnce();
    expect(report.moved).toMatchObject([{ app: "order-svc", version: "v1.6.0", now: movedTo }]);
    await settled();

    const detail = await api("/api/v1/apps/order-svc/releases/v1.6.0");
    expect(detail.tagState).toBe("moved");
    const rows = releasesOf(db(), "order-svc").filter((r) => r.version === "v1.6.0");
    expect(rows.find((r) => r.tagObject === movedTo)).toMatchObject({
      status: "rejected",
      reasons: [expect.objectContaining({ code: "tag.moved" })],
    });
    expect(devPromotionsTo(["v1.6.0"])).toHaveLength(1);
    // dev runs v1.6.0: one commit pins it back to the verified commit rather than the tag's new one.
    const verifiedCommit = rows.find((r) => r.status === "verified")!.commit!;
    await eventually("dev pinned", () => commitCount() === before + 1);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain(
      `targetRevision: ${verifiedCommit} # v1.6.0 (pinned: tag moved)`,
    );
  });

  test("a hand edit of a manifest is reported as drift, not overwritten", async () => {
    world.gitops.pushFromElsewhere(
      { "envs/dev/order-svc.yaml": application("order-svc-dev", world.source.url, "v1.5.1") },
      "hotfix: roll dev back by hand",
    );
    const report = await relbot.reconciler!.runOnce();
    expect(report.drift).toContainEqual({
      app: "order-svc",
      env: "dev",
      expected: "v1.6.0",
      actual: "v1.5.1",
    });
    const apps = await api("/api/v1/apps");
    const orderSvc = apps.apps.find((a: any) => a.name === "order-svc");
    expect(orderSvc.drift).toMatchObject([{ env: "dev", expected: "v1.6.0", actual: "v1.5.1" }]);
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.5.1");
    const events = await api("/api/v1/audit/events?kind=drift");
    expect(events.items.map((e: any) => e.subject)).toContain("order-svc/dev");
  });

  test("relbot reconcile runs a pass from the command line on the same database", async () => {
    const result = await runRelbotCli(["reconcile", "--json", "--config", world.configFile], world.env);
    expect(result.stderr).not.toContain("FAILED");
    const report = JSON.parse(result.stdout);
    expect(report.repositories).toBe(1);
    expect(report.queued).toEqual([]);
    // The drift is still there, unchanged (recorded once, not again).
    expect(report.drift).toContainEqual({
      app: "order-svc",
      env: "dev",
      expected: "v1.6.0",
      actual: "v1.5.1",
    });
    // Drift needs a person: exit 3, so a cron job or CI step can tell it from "all well" (0) and "failed" (1).
    expect(result.code).toBe(3);
    // Without --json, stdout is the report alone (logs, even at debug, go to stderr).
    const text = await runRelbotCli(["reconcile", "--config", world.configFile], {
      ...world.env,
      RELBOT_LOG_LEVEL: "debug",
    });
    expect(text.code).toBe(3);
    expect(text.stdout.trim().split("\n")).toEqual([
      "1 repositories listed",
      "drift order-svc dev: manifest says v1.5.1, relbot last promoted v1.6.0",
    ]);
  });
});
