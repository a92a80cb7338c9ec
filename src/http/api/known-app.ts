import { RelbotError } from "../../errors.ts";
import { appHasPromotions, appHasReleases } from "../../store/queries/index.ts";
import type { ReadApiDeps } from "./deps.ts";

/**
 * An app is known while it is configured, and afterwards as long as it has history: removing an app from the
 * config must not hide its releases from an auditor.
 */
export function assertKnownApp(deps: ReadApiDeps, app: string): void {
  if (Object.hasOwn(deps.apps, app) || appHasReleases(deps.db, app) || appHasPromotions(deps.db, app)) return;
  throw new RelbotError("not_found", `unknown app "${app}"`);
}
