// At start-up relbot clones the GitOps repository (or fetches what moved while it was down) before any webhook asks
// for a promotion, so the first promotion after a cold start does not pay for the clone. A real relbot over the
// release-pipeline world: real git server, signed tags.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { git } from "../support/git.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  releaseToDev,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";

let world: PipelineWorld;
let relbot: RunningRelbot | undefined;

beforeAll(async () => {
  world = await createPipelineWorld();
  // No reconcile pass (its drift read would clone the repository too): the start-up fetch alone is under test.
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.reconcile = { interval: 0 };
  writeFileSync(world.configFile, stringify(raw));
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
  if (world) rmSync(path.dirname(world.configFile), { recursive: true, force: true });
});

test("the GitOps working copy is cloned at start-up, before any promotion, and the first promotion uses it", async () => {
  const config = parse(readFileSync(world.configFile, "utf8"));
  const cacheDir = path.resolve(path.dirname(world.configFile), config.gitops.cacheDir);
  expect(existsSync(cacheDir)).toBe(false);
  relbot = await startPipelineRelbot(world);
  const tip = git(world.gitops.bare, ["rev-parse", "main"]);
  const branchRef = () => {
    const repo = existsSync(cacheDir)
      ? readdirSync(cacheDir).find((name) => name.endsWith(".git"))
      : undefined;
    const ref = repo && path.join(cacheDir, repo, "refs", "heads", "main");
    return ref && existsSync(ref) ? readFileSync(ref, "utf8").trim() : undefined;
  };
  expect(await eventually("the GitOps repository cloned at start-up", branchRef)).toBe(tip);
  expect(promotionsOf(relbot.database.db, "order-svc")).toEqual([]);

  const promotion = await releaseToDev(world, relbot, "v1.4.0");
  expect(promotion.status).toBe("succeeded");
  expect(branchRef()).toBe(git(world.gitops.bare, ["rev-parse", "main"]));
  expect(promotion.gitopsCommit).toBe(branchRef() ?? null);
});
