import type { RelbotApp } from "../app.ts";
import { registerAppRoutes } from "./apps.ts";
import { registerAuditRoutes } from "./audit.ts";
import type { AuditApiDeps } from "./deps.ts";
import { registerDoraRoutes } from "./dora.ts";
import { registerPromotionRoutes } from "./promotions.ts";
import { registerReleaseRoutes } from "./releases.ts";

export type { AuditApiDeps } from "./deps.ts";
export { ErrorSchema, readErrors, readSecurity } from "./schemas.ts";

/** The read side of the API: apps, releases, promotions and the audit log, all behind the read scope. */
export function registerAuditApi(app: RelbotApp, deps: AuditApiDeps): void {
  registerAppRoutes(app, deps);
  registerReleaseRoutes(app, deps);
  registerPromotionRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerDoraRoutes(app, deps);
}
