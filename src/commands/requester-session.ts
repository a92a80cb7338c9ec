// What `relbot promote|rollback|approve|reject` share: the config, the actor, the service's database with its audit
// chain and notices, and the service's one promotion requester, so a request from a shell is judged and recorded
// exactly as one from chat or the API. The command's own part runs inside; a refusal relbot explains
// (a RelbotError) becomes one line on stderr and exit 1.
import { userInfo } from "node:os";
import { systemClock } from "../clock.ts";
import { type LoadedConfig, loadConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { silentLogger } from "../log.ts";
import { type Db, openDatabase } from "../store/index.ts";
import { followAuditEvents } from "../wiring/audit-followers.ts";
import { keyAuditChainFromConfig } from "../wiring/audit-keys.ts";
import { githubClientFromConfig } from "../wiring/github.ts";
import { createPromotionRequester, type PromotionRequester } from "../wiring/promotions.ts";
import type { CommandOutput } from "./output.ts";

export interface RequesterSession {
  loaded: LoadedConfig;
  db: Db;
  promotions: PromotionRequester;
  /** --actor, else $RELBOT_ACTOR, else the OS user: who asks, checked against approvers. */
  actor: string;
}

export async function withPromotionRequester(
  command: { verb: string; configFile: string | undefined; actor: string | undefined },
  env: NodeJS.ProcessEnv,
  output: CommandOutput,
  run: (session: RequesterSession) => Promise<number>,
): Promise<number> {
  const loaded = loadConfig({ file: command.configFile, env });
  // Who asked is recorded and checked against approvers; the OS user is the honest default on a shell.
  const actor = command.actor ?? loaded.settings.actor ?? userInfo().username;
  const database = await openDatabase(loaded.config.database.path);
  try {
    // The events this command records join the service's audit chain: keyed with the same key.
    keyAuditChainFromConfig(database.db, loaded, systemClock.now());
    // Its events are followed too (channel notices, GitHub deployments): the running serve runs the queued jobs.
    followAuditEvents(database.db, loaded.config);
    // The service's requester; what it queues waits for the running service's worker.
    const promotions = createPromotionRequester({
      db: database.db,
      config: loaded.config,
      clock: systemClock,
      github: githubClientFromConfig(loaded.config, loaded.secrets, silentLogger),
    });
    return await run({ loaded, db: database.db, promotions, actor });
  } catch (error) {
    if (error instanceof RelbotError) {
      output.err(`relbot ${command.verb}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    database.close();
  }
}
