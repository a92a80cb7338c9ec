import path from "node:path";
import type { AppConfig } from "../config/index.ts";
import { normalizeRepoUrl } from "../domain/repo-url.ts";
import type { WebhookRepository } from "./payloads.ts";

/** An app config's names by normalised repository URL, each list in config order, and each name's place in it. */
interface RepoIndex {
  byRepo: Map<string, string[]>;
  order: Map<string, number>;
}

/**
 * Built once per apps object: the config is loaded once and never changed in place. Comparing the delivery's URLs
 * with every app's, normalising both each time, cost ~14 ms of the thread that answers webhooks per delivery at
 * 2,000 apps; a lookup here costs the same at any number of apps.
 */
const indexes = new WeakMap<Record<string, AppConfig>, RepoIndex>();

function repoIndex(apps: Record<string, AppConfig>): RepoIndex {
  let index = indexes.get(apps);
  if (!index) {
    index = { byRepo: new Map(), order: new Map() };
    for (const [name, app] of Object.entries(apps)) {
      const key = normalizeRepoUrl(app.repo);
      const names = index.byRepo.get(key);
      if (names) names.push(name);
      else index.byRepo.set(key, [name]);
      index.order.set(name, index.order.size);
    }
    indexes.set(apps, index);
  }
  return index;
}

/** Apps configured for this repository, matched on any of its URLs (clone, web, ssh) after normalising; config order. */
export function appsForRepository(apps: Record<string, AppConfig>, repository: WebhookRepository): string[] {
  const { byRepo, order } = repoIndex(apps);
  const found = new Set<string>();
  for (const url of [repository.clone_url, repository.html_url, repository.ssh_url]) {
    if (url) for (const name of byRepo.get(normalizeRepoUrl(url)) ?? []) found.add(name);
  }
  return [...found].sort((a, b) => order.get(a)! - order.get(b)!);
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
