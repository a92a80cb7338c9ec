export { registerAppRoutes } from "./apps.ts";
export { registerAuditRoutes } from "./audit.ts";
export type { ReadApiDeps } from "./deps.ts";
export { registerJobRoutes } from "./jobs.ts";
export { type PromoteRouteDeps, registerPromoteRoute } from "./promote.ts";
export { registerPromotionRoutes } from "./promotions.ts";
export { registerReconcileRoute } from "./reconcile.ts";
export { registerReleaseRoutes } from "./releases.ts";
export { ErrorSchema, readErrors, readSecurity } from "./schemas.ts";
