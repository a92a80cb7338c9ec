// Composition root: config -> database -> services -> HTTP. Everything else receives what it needs from here.
import { sql } from "drizzle-orm";
import packageJson from "../package.json" with { type: "json" };
import type { LoadedConfig } from "./config/index.ts";
import { registerAuditApi } from "./http/api/index.ts";
import { createHttpApp, type RelbotApp } from "./http/app.ts";
import { createRequireScope, TokenRegistry } from "./http/auth.ts";
import { registerApiDocs } from "./http/openapi.ts";
import type { Logger } from "./log.ts";
import { type Database, openDatabase } from "./store/index.ts";

export interface RelbotOptions {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Overrides config.server.port (tests pass 0 for a random port). */
  port?: number;
  hostname?: string;
}

export interface RunningRelbot {
  url: string;
  port: number;
  app: RelbotApp;
  database: Database;
  stop(): Promise<void>;
}

export async function startRelbot(options: RelbotOptions): Promise<RunningRelbot> {
  const { config } = options.loaded;
  const { logger } = options;
  const database = await openDatabase(config.database.path);

  const app = createHttpApp({
    logger,
    readiness: [{ name: "database", check: () => void database.db.all(sql`select 1`) }],
  });
  // API token secrets are read from the environment once, here; routes only ever see the registry.
  const requireScope = createRequireScope(TokenRegistry.fromConfig(config.api, options.env, logger));
  registerAuditApi(app, { db: database.db, apps: config.apps, requireScope });
  registerApiDocs(app, { version: packageJson.version });

  const server = Bun.serve({
    port: options.port ?? config.server.port,
    hostname: options.hostname ?? "0.0.0.0",
    fetch: app.fetch,
  });
  const url = `http://127.0.0.1:${server.port}`;
  logger.info({ url, config: options.loaded.file, driver: database.driver }, "relbot serving");

  let stopped = false;
  return {
    url,
    port: server.port ?? 0,
    app,
    database,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      database.close();
    },
  };
}
