import type { LoadedConfig } from "../config/index.ts";
import type { Db } from "../store/index.ts";
import { appendAuditEvent } from "./chain.ts";

/**
 * A `config.loaded` event at every start-up: which file, its digest, and the promotion chains it defines, so the
 * audit log shows under which rules every later promotion was judged. The file holds no secrets by design.
 */
export function recordConfigLoad(db: Db, loaded: LoadedConfig, now: number): void {
  const chains = Object.fromEntries(
    Object.entries(loaded.config.apps).map(([app, config]) => [
      app,
      config.environments.map((env) => ({
        name: env.name,
        auto: env.auto,
        prerelease: env.prerelease,
        approvers: env.approvers ?? [],
      })),
    ]),
  );
  db.transaction((tx) => {
    appendAuditEvent(
      tx,
      {
        kind: "config.loaded",
        actor: "relbot",
        subject: loaded.file,
        payload: { file: loaded.file, digest: loaded.digest, gitops: loaded.config.gitops.url, apps: chains },
      },
      now,
    );
  });
}
