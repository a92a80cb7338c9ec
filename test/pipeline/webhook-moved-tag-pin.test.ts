// A release tag moved after it was deployed, and relbot hears of it first through the push webhook for the tag (not
// the reconciler's ref listing): the release check records the move, and the environments naming the tag are
// pinned to the verified commit all the same. Before, only a move the reconciler found first was pinned, since the
// reconciler reports a tag's state only when it changes and the release check had already marked it moved. A real
// relbot, the real git server and real signed tags, push mode.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents } from "../../src/store/index.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  releasesOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld({
    apps: (sourceUrl) => ({
      "order-svc": {
        repo: sourceUrl,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        sbom: { asset: "*.spdx.json", required: true },
        environments: [{ name: "dev", file: "envs/dev/order-svc.yaml", auto: true }],
      },
    }),
  });
  reconcileOnDemand(world, "moved-tag-pin-token");
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

describe("a release tag moved, first seen by its push webhook", () => {
  test("the environments running it are pinned to the verified commit, and the reconciler does not pin again", async () => {
    world.publishGitHubRelease("v1.4.0");
    const tagObject = await world.releaseTag("v1.4.0");
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.4.0", tagObject))).status).toBe(202);
    await eventually("v1.4.0 in dev", () =>
      promotionsOf(relbot.database.db, "order-svc").find((p) => p.status === "succeeded"),
    );
    expect(world.gitops.show("envs/dev/order-svc.yaml")).toContain("targetRevision: v1.4.0");
    const verifiedCommit = git(world.source.work, ["rev-parse", "v1.4.0^{commit}"]);

    const sourceBare = world.server.repoPath("acme/order-svc.git");
    git(sourceBare, ["tag", "-f", "-a", "-m", "v1.4.0 (moved)", "v1.4.0", world.source.commit]);
    const movedTo = git(sourceBare, ["rev-parse", "refs/tags/v1.4.0"]);
    expect((await deliver(relbot.url, "push", world.pushEvent("v1.4.0", movedTo))).status).toBe(202);

    const pinned = await eventually("dev pinned to the verified commit", () => {
      const file = world.gitops.show("envs/dev/order-svc.yaml");
      return file.includes(verifiedCommit) ? file : undefined;
    });
    expect(pinned).toContain(`targetRevision: ${verifiedCommit} # v1.4.0 (pinned: tag moved)`);
    expect(releasesOf(relbot.database.db, "order-svc").find((r) => r.tagObject === tagObject)?.tagState).toBe(
      "moved",
    );
    const events = () =>
      relbot.database.db.select().from(auditEvents).where(eq(auditEvents.subject, "order-svc@v1.4.0")).all();
    const pinEvents = events().filter((e) => e.kind === "tag.pinned");
    expect(pinEvents).toHaveLength(1);
    expect(pinEvents[0]!.payload).toMatchObject({
      environments: ["dev"],
      movedTo,
      verifiedTagObject: tagObject,
    });

    // The reconciler sees the tag already recorded moved: no second move, no second pin.
    const report = await relbot.reconciler!.runOnce();
    expect(report.moved).toEqual([]);
    expect(events().filter((e) => e.kind === "tag.pinned")).toHaveLength(1);
  });
});
