import { html } from "hono/html";
import type { RepoLinks } from "../../domain/repo-links.ts";
import { shortSha } from "./format.ts";
import { releasePath } from "./paths.ts";

/** Repository links per app (its source repository) and for the GitOps repository; absent where the host is unknown. */
export interface DashboardLinks {
  app(name: string): RepoLinks | undefined;
  gitops: RepoLinks | undefined;
}

const external = (href: string, text: unknown) =>
  html`<a href="${href}" rel="noopener noreferrer" target="_blank">${text}</a>`;

/** A commit's short sha, linked into the repository's web UI when its host is known. */
export function commitLink(links: RepoLinks | undefined, sha: string | null) {
  if (!sha || !links) return shortSha(sha);
  return external(links.commit(sha), shortSha(sha));
}

/** The tag, linked to its page in the source repository when the host is known. */
export function tagLink(links: RepoLinks | undefined, tag: string) {
  return links ? external(links.tag(tag), html`<code>${tag}</code>`) : html`<code>${tag}</code>`;
}

export function pullRequestLink(links: RepoLinks | undefined, number: number | null, url: string | null) {
  if (number === null) return "";
  const href = url && /^https:\/\//.test(url) ? url : links?.pullRequest(number);
  return href ? external(href, `#${number}`) : html`#${number}`;
}

/** A version, linked to relbot's own release detail page. */
export function versionLink(app: string, version: string, className?: string) {
  const classes = className === undefined ? "" : html` class="${className}"`;
  return html`<a${classes} href="${releasePath(app, version)}">${version}</a>`;
}
