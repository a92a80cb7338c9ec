import type { RelbotConfig } from "../../config/index.ts";
import type { Db } from "../../store/index.ts";
import type { RequireScope } from "../auth.ts";

/** What the read API needs, built once by the composition root. */
export interface AuditApiDeps {
  db: Db;
  /** The configured apps, in file order; environments in promotion-chain order. */
  apps: RelbotConfig["apps"];
  requireScope: RequireScope;
}
