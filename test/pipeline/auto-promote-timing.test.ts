// A signed tag that is the only pending release of its app is promoted at once: no settle delay between the
// release and its GitOps commit. Only when several tags of the app are being checked together does auto-promotion
// wait, until the last of them is recorded, and then the newest alone is promoted, in one commit. The settle delay
// is set to a minute here, far beyond the waiter's bound, so a test that waited for it would fail.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import { autoPromoteJobKey } from "../../src/jobs/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { jobs } from "../../src/store/index.ts";
import { signedTag } from "../support/keys.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  writeFileSync(world.configFile, stringify(raw));
  relbot = await startPipelineRelbot(world, { pipeline: { autoPromoteDelayMs: 60_000 } });
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

const inDev = (version: string) =>
  eventually(`${version} in dev`, () =>
    promotionsOf(relbot.database.db, "order-svc").find(
      (p) => p.env === "dev" && p.toVersion === version && p.status === "succeeded",
    ),
  );
const autoPromoteJobOf = (version: string) =>
  relbot.database.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.dedupKey, autoPromoteJobKey("order-svc", version))))
    .get();

describe("auto-promotion timing", () => {
  test("the only pending tag is promoted at once, not after the settle delay", async () => {
    const before = world.gitops.log().length;
    world.publishGitHubRelease("v1.4.0");
    const tagObject = await world.releaseTag("v1.4.0");
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.4.0", tagObject))).status).toBe(202);
    const promotion = await inDev("v1.4.0");
    expect(promotion.gitopsCommit).toBe(world.gitops.log()[0]!.split(" ")[0]!);
    expect(world.gitops.log()).toHaveLength(before + 1);
    const job = autoPromoteJobOf("v1.4.0")!;
    // Queued due at the moment it was queued.
    expect(job.runAt).toBe(job.createdAt);
  });

  test("several tags checked together: one commit, the newest, as soon as the last one is recorded", async () => {
    const before = world.gitops.log().length;
    const burst = ["v1.5.0", "v1.5.1", "v1.5.2"];
    for (const tag of burst) {
      world.publishGitHubRelease(tag);
      signedTag(world.source.work, tag, world.gpgKey);
    }
    await world.pushTags(...burst);
    const report = await relbot.reconciler!.runOnce();
    expect(report.queued.map((q) => q.tagName).sort()).toEqual(burst);

    await inDev("v1.5.2");
    await eventually("every auto-promotion of the burst to finish", () =>
      burst.every((v) => autoPromoteJobOf(v)?.status === "succeeded") ? true : undefined,
    );
    const devPromotions = promotionsOf(relbot.database.db, "order-svc").filter(
      (p) => p.env === "dev" && burst.includes(p.toVersion),
    );
    expect(devPromotions.map((p) => `${p.toVersion} ${p.status}`)).toEqual(["v1.5.2 succeeded"]);
    expect(world.gitops.log()).toHaveLength(before + 1);
    const steppedAside = autoPromoteJobOf("v1.5.0")!.result as {
      steps: { env: string; status: string; reason: string }[];
    };
    expect(steppedAside.steps).toEqual([
      {
        env: "dev",
        status: "skipped",
        reason: "a newer release (v1.5.2) is recorded; it is the one promoted",
      },
    ]);
  });
});
