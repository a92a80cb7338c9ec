// One audit event as a Slack Block Kit message: a header (what happened), a section with the facts as fields
// (app, environment, versions, who, why) and a context line with links to the tag and commit on the app's
// repository. Pure. Every text is cut to Slack's limits (header 150, section text 3000, field 2000, at most 10
// fields), so no event, however large its payload, makes Slack refuse the message with invalid_blocks.
import { eventApp, type NotifiableEvent, type NotificationEventKind } from "../domain/notification-events.ts";
import { tagNameFor } from "../domain/semver.ts";

export const slackLimits = {
  header: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  fallback: 3000,
} as const;

export interface SlackText {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] };

export interface SlackMessage {
  /** The notification's plain text (phones, screen readers, clients without blocks). */
  text: string;
  blocks: SlackBlock[];
}

/** Where links point: the app's source repository as configured. */
export interface AppLinks {
  repo: string;
  dir: string;
}

const headlines: Record<NotificationEventKind, string> = {
  "release.verified": "Release verified",
  "release.rejected": "Release rejected",
  "promotion.requested": "Promotion requested",
  "approval.requested": "Approval requested",
  "promotion.approved": "Promotion approved",
  "promotion.rejected": "Promotion rejected by an approver",
  "promotion.denied": "Promotion denied",
  "promotion.expired": "Promotion expired waiting for approvals",
  "promotion.succeeded": "Promotion succeeded",
  "promotion.failed": "Promotion failed",
  "promotion.pr-opened": "Pull request opened for review",
  "promotion.cancelled": "Promotion cancelled (pull request closed)",
  "deployment.progressing": "Deployment progressing",
  "deployment.healthy": "Deployment healthy",
  "deployment.degraded": "Deployment degraded",
  "deployment.timeout": "Deployment timed out",
  "tag.moved": "Release tag MOVED",
  "tag.deleted": "Release tag deleted",
  "tag.restored": "Release tag restored",
  "tag.pinned": "Environments pinned to the verified commit",
  drift: "Environment drifted",
  "drift.resolved": "Drift resolved",
};

const alarming = new Set<NotificationEventKind>([
  "release.rejected",
  "promotion.failed",
  "promotion.denied",
  "deployment.degraded",
  "deployment.timeout",
  "tag.moved",
  "tag.deleted",
  "drift",
]);

export function buildSlackMessage(
  kind: NotificationEventKind,
  event: NotifiableEvent,
  links?: AppLinks,
): SlackMessage {
  const payload = record(event.payload);
  const app = eventApp(event);
  const version = str(payload.toVersion) ?? versionOfSubject(event.subject);
  const target = [app, str(payload.env)].filter(Boolean).join(" → ");
  const title = `${alarming.has(kind) ? "⚠️ " : ""}${headlines[kind]}${target ? `: ${target}` : ""}${version ? ` ${version}` : ""}`;

  const facts: [string, string | undefined][] = [
    ["App", app],
    ["Environment", str(payload.env)],
    ["Version", version],
    ["From", str(payload.fromVersion)],
    ["By", event.actor],
    ["Promotion", str(payload.promotionId)],
    ["Signer", signerOf(payload.signer)],
    ["Deployment", str(record(payload.deployment).state)],
    ["Expected", str(payload.expected)],
    ["Actual", str(payload.actual)],
    ["Code", str(payload.code)],
  ];
  const fields = facts
    .filter((fact): fact is [string, string] => fact[1] !== undefined && fact[1] !== "")
    .slice(0, slackLimits.fields)
    .map(([name, value]) => mrkdwn(cut(`*${name}*\n${escapeMrkdwn(value)}`, slackLimits.field)));

  const why = whyOf(payload);
  const summary = cut(
    `${escapeMrkdwn(headlines[kind])} (${escapeMrkdwn(event.subject)})${why ? `\n${escapeMrkdwn(why)}` : ""}`,
    slackLimits.sectionText,
  );

  const context = [
    ...linksFor(payload, app, version, links),
    `audit event #${event.seq} · ${new Date(event.time).toISOString()}`,
  ].join(" · ");

  return {
    text: cut(`${title}${why ? ` — ${why}` : ""}`, slackLimits.fallback),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cut(title, slackLimits.header), emoji: true } },
      { type: "section", text: mrkdwn(summary), ...(fields.length > 0 ? { fields } : {}) },
      { type: "context", elements: [mrkdwn(cut(context, slackLimits.sectionText))] },
    ],
  };
}

/** Why it happened, when the event says: an error, a denial, rejection reasons, Argo CD's message. */
function whyOf(payload: Record<string, unknown>): string | undefined {
  const reasons = Array.isArray(payload.reasons)
    ? payload.reasons
        .map((reason) => str(record(reason).message) ?? str(record(reason).code))
        .filter((text): text is string => text !== undefined)
        .slice(0, 10)
        .join("; ")
    : undefined;
  return (
    str(payload.error) ??
    str(payload.denial) ??
    (reasons || undefined) ??
    str(record(payload.deployment).message) ??
    str(payload.reason)
  );
}

/** Links to the tag and the commit on the app's repository, when it is served over http(s). */
function linksFor(
  payload: Record<string, unknown>,
  app: string | undefined,
  version: string | undefined,
  links: AppLinks | undefined,
): string[] {
  const web = links && webUrl(links.repo);
  if (!web) return [];
  const out: string[] = [];
  const tagName = str(payload.tagName) ?? (version && app ? tagNameFor(version, links.dir) : undefined);
  if (tagName)
    out.push(link(`${web}/tree/${encodeURIComponent(tagName).replace(/%2F/g, "/")}`, `tag ${tagName}`));
  const commit = str(payload.commit);
  if (commit && /^[0-9a-f]{40}$/.test(commit))
    out.push(link(`${web}/commit/${commit}`, `commit ${commit.slice(0, 7)}`));
  return out;
}

/** The browsable address of a source repository: https only, credentials and ".git" dropped. */
export function webUrl(repo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "").replace(/\.git$/i, "")}`;
}

function link(url: string, label: string): string {
  // Slack's link syntax ends at ">" and splits at "|": neither may appear in the URL or the label.
  return `<${url.replace(/[<>|\s]/g, encodeURIComponent)}|${escapeMrkdwn(label).replace(/\|/g, "¦")}>`;
}

function versionOfSubject(subject: string): string | undefined {
  const at = subject.indexOf("@");
  return at > 0 ? subject.slice(at + 1) : undefined;
}

function signerOf(value: unknown): string | undefined {
  return str(record(value).identity);
}

/** Slack's mrkdwn control characters; user-supplied text (tag messages, errors) must not become links. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function mrkdwn(text: string): SlackText {
  return { type: "mrkdwn", text };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== ""
    ? value
    : typeof value === "number"
      ? String(value)
      : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
