import path from "node:path";
import type { AppConfig } from "../config/index.ts";
import { sameRepo } from "../domain/repo-url.ts";
import type { WebhookRepository } from "./payloads.ts";

/** Apps configured for this repository, matched on any of its URLs (clone, web, ssh) after normalising. */
export function appsForRepository(apps: Record<string, AppConfig>, repository: WebhookRepository): string[] {
  const urls = [repository.clone_url, repository.html_url, repository.ssh_url].filter(
    (u): u is string => !!u,
  );
  return Object.entries(apps)
    .filter(([, app]) => urls.some((url) => sameRepo(url, app.repo)))
    .map(([name]) => name);
}

/**
 * Whether a tag is in the app's tag form: `v...` at the root, `<dir>/v...` for a module in a sub-directory
 * (Go's rule for nested modules). Only the form is checked here; the release checks judge the version itself, so
 * `v1.2` still becomes a job and is recorded as rejected, while `docs/v1.0.0` of a sibling module is not ours.
 */
export function tagBelongsToApp(app: Pick<AppConfig, "dir">, tagName: string): boolean {
  const dir = app.dir ? path.posix.normalize(app.dir).replace(/\/+$/, "") : "";
  const prefix = dir === "" || dir === "." ? "v" : `${dir}/v`;
  return tagName.startsWith(prefix) && !tagName.slice(prefix.length).includes("/");
}

/** Expected tag form for messages: "v1.2.3" or "services/orders/v1.2.3". */
export function tagFormOf(app: Pick<AppConfig, "dir">): string {
  return app.dir ? `${app.dir.replace(/\/+$/, "")}/vX.Y.Z` : "vX.Y.Z";
}
