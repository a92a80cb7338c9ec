// The release pipeline world (release-pipeline.ts) with Argo CD's API stood in (argocd-api.ts): order-svc's chain
// watched by relbot's deployment watch, each environment's Application known to the stand-in and running the
// world's first commit, and the moves a test makes: release a signed tag, sync an environment to a release with a
// health, wait for a promotion to reach a state.
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { RelbotOptions, RunningRelbot } from "../../src/main.ts";
import type { PromotionRow } from "../../src/store/index.ts";
import { type ArgocdStandIn, argocdApplication, startArgocdApi, syncedTo } from "./argocd-api.ts";
import { commitFiles } from "./git.ts";
import { deliver } from "./relbot-webhooks.ts";
import {
  createPipelineWorld,
  eventually,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
} from "./release-pipeline.ts";

export interface ArgocdPipeline {
  world: PipelineWorld;
  argocd: ArgocdStandIn;
  /** The running relbot (a new one after restart). */
  relbot: RunningRelbot;
  /** The commit of each released version. */
  commits: Record<string, string>;
  /** Changes relbot.yaml as parsed YAML; takes effect at the next (re)start. */
  editConfig(change: (raw: any) => void): void;
  /** Stops relbot and starts it again on the same config and database (the watch resumes from the table). */
  restart(): Promise<void>;
  /** Commits VERSION, publishes the GitHub release, pushes a signed tag and delivers its push webhook. */
  release(version: string): Promise<void>;
  /** Argo CD reports the environment's Application synced to the release with this health. */
  sync(env: string, version: string, health: string, message?: string): void;
  /** Waits for order-svc's promotion of `version` into `env` that passes `test`. */
  promotionIn(env: string, version: string, test?: (p: PromotionRow) => boolean): Promise<PromotionRow>;
  /** A release that dev (auto) takes and Argo CD runs healthy there, so the next environment may have it. */
  healthyInDev(version: string): Promise<void>;
  dispose(): Promise<void>;
}

export async function createArgocdPipeline(options: {
  environments: Record<string, unknown>[];
  /** Environments whose Application the stand-in knows (default: every one in `environments`). */
  applications?: string[];
  /** Further edits of relbot.yaml before the first start (slack, github.commandRepos, ...). */
  configure?: (raw: any) => void;
  /** Set before the first start (secrets the edits name). */
  env?: Record<string, string>;
  relbot?: Partial<RelbotOptions>;
}): Promise<ArgocdPipeline> {
  const argocd = await startArgocdApi();
  const world = await createPipelineWorld({
    apps: (repo) => ({
      "order-svc": {
        repo,
        module: "github.com/acme/order-svc",
        signers: "release-team",
        environments: options.environments,
      },
    }),
  });
  const editConfig = (change: (raw: any) => void) => {
    const raw = parse(readFileSync(world.configFile, "utf8"));
    change(raw);
    writeFileSync(world.configFile, stringify(raw));
  };
  editConfig((raw) => {
    raw.argocd = { url: argocd.url, tokenEnv: "ARGOCD_TOKEN", timeout: "10m", pollInterval: "100ms" };
    options.configure?.(raw);
  });
  const names = options.applications ?? options.environments.map((env) => env.name as string);
  for (const env of names) {
    const app = argocdApplication({
      name: `order-svc-${env}`,
      repoURL: world.source.url,
      targetRevision: "v1.3.0",
    });
    syncedTo(app, world.source.commit, "Healthy", { phase: "Succeeded" });
    argocd.setApplication(app);
  }
  Object.assign(world.env, { ARGOCD_TOKEN: argocd.token, ...options.env });
  const commits: Record<string, string> = {};

  const pipeline: ArgocdPipeline = {
    world,
    argocd,
    relbot: await startPipelineRelbot(world, options.relbot),
    commits,
    editConfig,
    async restart() {
      await pipeline.relbot.stop();
      pipeline.relbot = await startPipelineRelbot(world, options.relbot);
    },
    async release(version) {
      commits[version] = commitFiles(world.source.work, { VERSION: `${version}\n` }, `release ${version}`);
      world.publishGitHubRelease(version);
      const object = await world.releaseTag(version);
      const answer = await deliver(pipeline.relbot.url, "push", world.pushEvent(version, object));
      if (answer.status !== 202) throw new Error(`the push of ${version} was answered ${answer.status}`);
    },
    sync(env, version, health, message) {
      argocd.updateApplication(`order-svc-${env}`, "argocd", (app) =>
        // The sync operation still runs while resources progress; it has finished once health is decided.
        syncedTo(app, commits[version]!, health, {
          phase: health === "Progressing" ? "Running" : "Succeeded",
          message,
        }),
      );
    },
    promotionIn(env, version, test = () => true) {
      return eventually(`${version} in ${env}`, () =>
        promotionsOf(pipeline.relbot.database.db, "order-svc").find(
          (p) => p.env === env && p.toVersion === version && test(p),
        ),
      );
    },
    async healthyInDev(version) {
      await pipeline.release(version);
      await pipeline.promotionIn("dev", version, (p) => p.deploymentState === "pending");
      pipeline.sync("dev", version, "Healthy");
      await pipeline.promotionIn("dev", version, (p) => p.deploymentState === "healthy");
    },
    async dispose() {
      await pipeline.relbot.stop();
      await world.dispose();
      await argocd.close();
    },
  };
  return pipeline;
}
