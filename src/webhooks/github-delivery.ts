// What a verified GitHub delivery turns into: release jobs for a new tag, a chat-command job for a comment,
// a pong, or a reason it was ignored. The HTTP route only checks the sender and shapes the answer.
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import type { AppConfig } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { type NewJob, releaseJob } from "../jobs/index.ts";
import type { Db } from "../store/index.ts";
import { appsForRepository, tagBelongsToApp, tagFormOf } from "./apps-for-tag.ts";
import { findDelivery, recordDelivery } from "./deliveries.ts";
import { createSchema, describePayloadProblems, pushSchema, type WebhookRepository } from "./payloads.ts";

/**
 * Turns an `issue_comment` delivery into queued work (the chat-commands layer provides it). It should enqueue
 * with a dedupKey derived from the delivery id, since the delivery itself is recorded only after it returns.
 */
export type IssueCommentHook = (
  payload: unknown,
  deliveryId: string,
) => Promise<{ jobIds: string[] } | { ignored: string }>;

/** Pull-request mode: a `pull_request` delivery moves the promotion waiting on it (src/pipeline provides it). */
export type PullRequestEventHook = IssueCommentHook;

export interface GitHubDeliveryDeps {
  db: Db;
  apps: Record<string, AppConfig>;
  clock: Clock;
  onIssueComment?: IssueCommentHook;
  onPullRequest?: PullRequestEventHook;
}

export interface GitHubDelivery {
  event: string;
  deliveryId: string;
  payload: unknown;
}

export type DeliveryOutcome =
  | { kind: "accepted"; jobIds: string[] }
  | { kind: "duplicate"; jobIds: string[] }
  | { kind: "ignored"; why: string }
  | { kind: "pong" };

export async function acceptGitHubDelivery(
  deps: GitHubDeliveryDeps,
  delivery: GitHubDelivery,
): Promise<DeliveryOutcome> {
  const { db, clock } = deps;
  const { event, deliveryId, payload } = delivery;
  if (event === "ping") return { kind: "pong" };
  const seen = findDelivery(db, deliveryId);
  if (seen) return { kind: "duplicate", jobIds: seen.jobIds };

  let work: { jobs: NewJob[] } | { jobIds: string[] } | { ignored: string };
  switch (event) {
    case "push":
      work = releaseJobsForPush(deps.apps, payload, deliveryId);
      break;
    case "create":
      work = releaseJobsForCreate(deps.apps, payload, deliveryId);
      break;
    case "issue_comment":
      work = deps.onIssueComment
        ? await deps.onIssueComment(payload, deliveryId)
        : { ignored: "comment commands are not enabled in this relbot" };
      break;
    case "pull_request":
      work = deps.onPullRequest
        ? await deps.onPullRequest(payload, deliveryId)
        : { ignored: "no environment of this relbot is via: pull-request" };
      break;
    default:
      work = {
        ignored: `relbot does not act on "${event}" events (only push, create, issue_comment, pull_request, ping)`,
      };
  }
  if ("ignored" in work) return { kind: "ignored", why: work.ignored };

  const recorded = recordDelivery(
    db,
    {
      id: deliveryId,
      event,
      jobs: "jobs" in work ? work.jobs : [],
      jobIds: "jobIds" in work ? work.jobIds : [],
    },
    clock.now(),
  );
  return { kind: recorded.duplicate ? "duplicate" : "accepted", jobIds: recorded.jobIds };
}

/** A pushed tag; `after` is the tag object for an annotated tag (the commit is in head_commit). */
function releaseJobsForPush(
  apps: Record<string, AppConfig>,
  payload: unknown,
  deliveryId: string,
): { jobs: NewJob[] } | { ignored: string } {
  const push = parse(pushSchema, payload, "push");
  if (!push.ref.startsWith("refs/tags/")) return { ignored: `not a tag push (${push.ref})` };
  const tagName = push.ref.slice("refs/tags/".length);
  if (push.deleted) return { ignored: `tag ${tagName} was deleted` };
  // A created tag, or a tag force-moved to another object: both are checked (a moved tag is rejected loudly there).
  return releaseJobsForTag(apps, push.repository, tagName, push.after, deliveryId);
}

/** GitHub also sends `create` for a new tag; it carries no object id, so the job resolves the tag itself. */
function releaseJobsForCreate(
  apps: Record<string, AppConfig>,
  payload: unknown,
  deliveryId: string,
): { jobs: NewJob[] } | { ignored: string } {
  const create = parse(createSchema, payload, "create");
  if (create.ref_type !== "tag") return { ignored: `not a tag (a ${create.ref_type} was created)` };
  return releaseJobsForTag(apps, create.repository, create.ref, undefined, deliveryId);
}

function releaseJobsForTag(
  apps: Record<string, AppConfig>,
  repository: WebhookRepository,
  tagName: string,
  tagObject: string | undefined,
  deliveryId: string,
): { jobs: NewJob[] } | { ignored: string } {
  const candidates = appsForRepository(apps, repository);
  if (candidates.length === 0) {
    return { ignored: `repository ${repository.full_name} is not configured in relbot` };
  }
  const owners = candidates.filter((name) => tagBelongsToApp(apps[name]!, tagName));
  if (owners.length === 0) {
    const forms = candidates.map((name) => `${name}: ${tagFormOf(apps[name]!)}`).join(", ");
    return { ignored: `tag ${tagName} is not a release tag of ${repository.full_name} (${forms})` };
  }
  return {
    jobs: owners.map((app) => releaseJob.job({ app, tagName, tagObject, deliveryId, source: "webhook" })),
  };
}

function parse<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new RelbotError(
      "invalid_payload",
      `not a GitHub ${event} event payload: ${describePayloadProblems(result.error)}`,
    );
  }
  return result.data;
}
