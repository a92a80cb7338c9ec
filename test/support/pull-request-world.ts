// A relbot whose staging environment is promoted through pull requests (`via: pull-request`), over the release
// pipeline world (real git server, real signed tags), with GitHub's pull requests stood in over the GitOps repository,
// and the steps the pull-request tests share: open one for a tag, wait for a promotion's status, read its events.
import { expect } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import type { RunningRelbot } from "../../src/main.ts";
import { auditEvents, type PromotionRow } from "../../src/store/index.ts";
import { eventually } from "./eventually.ts";
import { git } from "./git.ts";
import { type PullsStandIn, standInPulls } from "./github-pulls.ts";
import { deliver } from "./relbot-webhooks.ts";
import {
  createPipelineWorld,
  type PipelineWorld,
  promotionsOf,
  reconcileOnDemand,
  startPipelineRelbot,
} from "./release-pipeline.ts";

export const stagingFile = "envs/staging/order-svc.yaml";

export interface PullRequestWorld {
  world: PipelineWorld;
  relbot: RunningRelbot;
  pulls: PullsStandIn;
  promotion(id: string): PromotionRow;
  settledAs(id: string, statuses: string[]): Promise<PromotionRow>;
  eventsOf(id: string): (typeof auditEvents.$inferSelect)[];
  branchExists(branch: string): boolean;
  /** Releases a signed tag through a real webhook, waits for dev, then asks for staging: a pull request opens. */
  openPullRequestFor(tag: string): Promise<{ id: string; tagObject: string; number: number; head: string }>;
  dispose(): Promise<void>;
}

export async function startPullRequestWorld(options: {
  deployToken: string;
  labels?: string[];
}): Promise<PullRequestWorld> {
  const { deployToken } = options;
  const world = await createPipelineWorld({
    apps: (sourceUrl) => ({
      "order-svc": {
        repo: sourceUrl,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        sbom: { asset: "*.spdx.json", required: true },
        environments: [
          { name: "dev", file: "envs/dev/order-svc.yaml", auto: true },
          { name: "staging", file: stagingFile, via: "pull-request" },
        ],
      },
    }),
  });
  reconcileOnDemand(world, deployToken);
  const raw = parse(readFileSync(world.configFile, "utf8"));
  raw.gitops.pullRequests = { repo: "acme/gitops", labels: options.labels ?? [] };
  writeFileSync(world.configFile, stringify(raw));
  const pulls = standInPulls(world.github, { owner: "acme", repo: "gitops", bare: world.gitops.bare });
  const relbot = await startPipelineRelbot(world, {
    worker: { pollMs: 50, backoff: { baseMs: 10, maxMs: 10 } },
  });

  const promotion = (id: string) =>
    promotionsOf(relbot.database.db, "order-svc").find((p) => p.id === id) as PromotionRow;
  const settledAs = (id: string, statuses: string[]) =>
    eventually(`promotion ${id} to be ${statuses.join(" or ")}`, () => {
      const row = promotion(id);
      return row && statuses.includes(row.status) ? row : undefined;
    });
  return {
    world,
    relbot,
    pulls,
    promotion,
    settledAs,
    eventsOf: (id) =>
      relbot.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, `promotion:${id}`))
        .all(),
    branchExists(branch) {
      try {
        git(world.gitops.bare, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
        return true;
      } catch {
        return false;
      }
    },
    async openPullRequestFor(tag) {
      world.publishGitHubRelease(tag);
      const tagObject = await world.releaseTag(tag);
      expect((await deliver(relbot.url, "push", world.pushEvent(tag, tagObject))).status).toBe(202);
      await eventually(`${tag} in dev`, () =>
        promotionsOf(relbot.database.db, "order-svc").find(
          (p) => p.env === "dev" && p.toVersion === tag && p.status === "succeeded",
        ),
      );
      const response = await fetch(`${relbot.url}/api/v1/promotions`, {
        method: "POST",
        headers: { Authorization: `Bearer ${deployToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ app: "order-svc", version: tag, env: "staging" }),
      });
      expect(response.status).toBe(202);
      const id = ((await response.json()) as { id: string }).id;
      const row = await settledAs(id, ["pr-open", "failed"]);
      expect(row.status).toBe("pr-open");
      return { id, tagObject, number: row.pullRequestNumber!, head: row.gitopsCommit! };
    },
    async dispose() {
      await relbot?.stop();
      await world?.dispose();
      rmSync(path.dirname(world.configFile), { recursive: true, force: true });
    },
  };
}
