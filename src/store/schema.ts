import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Approval } from "../domain/approvals.ts";

// Times are Unix milliseconds (UTC): cheap to index and compare, formatted as ISO 8601 by the API.

/** A tag that went through the release checks, verified or rejected. */
export const releases = sqliteTable(
  "releases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    app: text("app").notNull(),
    module: text("module").notNull(),
    version: text("version").notNull(),
    tagName: text("tag_name").notNull(),
    /** sha of the annotated tag object (or the commit, for a rejected lightweight tag). */
    tagObject: text("tag_object").notNull(),
    commit: text("commit"),
    signatureFormat: text("signature_format", { enum: ["openpgp", "ssh"] }),
    signer: text("signer"),
    keyFingerprint: text("key_fingerprint"),
    sbomDigest: text("sbom_digest"),
    sbomFormat: text("sbom_format", { enum: ["spdx", "cyclonedx"] }),
    status: text("status", { enum: ["verified", "rejected"] }).notNull(),
    /** JSON array of {code, message}: every failed check, not just the first. */
    reasons: text("reasons", { mode: "json" })
      .$type<{ code: string; message: string }[]>()
      .notNull()
      .default([]),
    /** Whether the tag still points where it did when verified (the reconciler keeps it current). */
    tagState: text("tag_state", { enum: ["ok", "moved", "deleted"] })
      .notNull()
      .default("ok"),
    source: text("source").notNull().default("webhook"),
    deliveryId: text("delivery_id"),
    /**
     * Unix ms: when relbot first saw this tag object (the tag's key validity and date are judged at this moment, on
     * every re-check). Rows older than the column hold created_at.
     */
    firstSeenAt: integer("first_seen_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // One row per (app, version, tag object): re-verifying the same object is a no-op, a moved tag is a new row.
    uniqueIndex("releases_app_version_object").on(t.app, t.version, t.tagObject),
    index("releases_app_created").on(t.app, t.createdAt),
  ],
);

/**
 * A promotion's life: awaiting-approval (approvals: N) -> queued -> running -> succeeded | failed, or pr-open
 * (via: pull-request) -> succeeded | cancelled; denied by a rule, rejected by an approver, expired unanswered.
 */
export const promotionStatuses = [
  "queued",
  "running",
  "succeeded",
  "noop",
  "failed",
  "denied",
  // Protected environments
  "awaiting-approval",
  "rejected",
  "expired",
  "pr-open",
  "cancelled",
] as const;

/** One environment change requested by someone (or relbot itself), and what became of it. */
export const promotions = sqliteTable(
  "promotions",
  {
    /** Sortable unique id (time prefix), also written as the Relbot-Promotion commit trailer. */
    id: text("id").primaryKey(),
    /** Promotions asked for together share one request id and one GitOps commit. */
    requestId: text("request_id").notNull(),
    app: text("app").notNull(),
    env: text("env").notNull(),
    fromVersion: text("from_version"),
    toVersion: text("to_version").notNull(),
    kind: text("kind", { enum: ["promote", "rollback"] })
      .notNull()
      .default("promote"),
    actor: text("actor").notNull(),
    source: text("source", { enum: ["webhook", "reconcile", "slack", "github", "api", "cli"] }).notNull(),
    reason: text("reason"),
    /** `noop`: the manifest already held the version, so nothing was committed (see promotionInEffect). */
    status: text("status", { enum: promotionStatuses }).notNull(),
    gitopsCommit: text("gitops_commit"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
    // --- Deployment feedback from Argo CD: null when relbot does not watch this promotion's deployment ---
    /** pending (pushed, Argo CD not there yet) -> progressing (at the release) -> healthy | degraded | timeout. */
    deploymentState: text("deployment_state", {
      enum: ["pending", "progressing", "healthy", "degraded", "timeout"],
    }),
    /** The revision Argo CD last reported for the app's source. */
    deploymentRevision: text("deployment_revision"),
    /** When the deployment entered its current state. */
    deploymentSince: integer("deployment_since"),
    deploymentUpdatedAt: integer("deployment_updated_at"),
    /** Argo CD's own words (health or operation message), or why relbot could not read it. */
    deploymentMessage: text("deployment_message"),
    /** The Application watched, once known: "<appNamespace>/<name>" (appNamespace empty for Argo CD's default). */
    deploymentApplication: text("deployment_application"),
    /** When Argo CD first reported the release Synced and Healthy. */
    deployedAt: integer("deployed_at"),
    // --- Protected environments: approvals and pull requests (null when the environment has neither) ---
    /** Approvals needed besides the requester's (the environment's `approvals` when it was asked). */
    approvalsRequired: integer("approvals_required"),
    /** Every approval recorded, in order: [{by, at, source}]. Who counts is decided in domain/approvals.ts. */
    approvals: text("approvals", { mode: "json" }).$type<Approval[]>(),
    /** An awaiting-approval request ends as expired from this time on. */
    approvalExpiresAt: integer("approval_expires_at"),
    /** Where to tell the requester how the wait ended (a capability for Slack: never served by the API). */
    replyTo: text("reply_to", { mode: "json" }).$type<Record<string, unknown>>(),
    /** Pull-request mode: the one pull request this promotion opened. */
    pullRequestNumber: integer("pull_request_number"),
    pullRequestUrl: text("pull_request_url"),
  },
  (t) => [
    // The deployment watch lists the promotions it follows (pending, progressing) at every poll.
    index("promotions_deployment_state").on(t.deploymentState),
    index("promotions_app_env_created").on(t.app, t.env, t.createdAt, t.id),
    // The audit API lists an app's promotions across environments, and a release's promotions, newest first:
    // without these SQLite sorts every promotion of the app (tens of ms at a million rows).
    index("promotions_app_created").on(t.app, t.createdAt, t.id),
    index("promotions_app_version").on(t.app, t.toVersion, t.createdAt, t.id),
    index("promotions_actor_created").on(t.actor, t.createdAt, t.id),
    index("promotions_status_created").on(t.status, t.createdAt, t.id),
    index("promotions_created").on(t.createdAt, t.id),
    index("promotions_request").on(t.requestId),
  ],
);

/** The durable queue: webhooks, promotions and reconcile work are stored here before they are acknowledged. */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    /** Two enqueues with the same key are one job (a tag seen by webhook and reconciler). */
    dedupKey: text("dedup_key"),
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
    status: text("status", { enum: ["queued", "running", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(8),
    /**
     * The job's lane: 1 for work a person is waiting on (promotions, rollbacks, chat commands, re-pinning a
     * moved tag), 0 for background work (release checks). A due job of lane 1 is always claimed first, so a
     * flood of new tags cannot hold up a promotion.
     */
    priority: integer("priority").notNull().default(0),
    runAt: integer("run_at").notNull(),
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
    lastError: text("last_error"),
    result: text("result", { mode: "json" }).$type<unknown>(),
    /** W3C trace context (JSON of traceparent/tracestate) of whoever queued the job: its span continues that trace. */
    traceContext: text("trace_context"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("jobs_dedup_key").on(t.dedupKey),
    // The claim walks these in order and stops at the first row (no sort, however long the backlog).
    index("jobs_status_run_at_id").on(t.status, t.runAt, t.id),
    // The claim walks one lane at a time in order (status and priority fixed, run_at ascending) and stops at
    // the first due row, however long either lane's backlog.
    index("jobs_claim_lane").on(t.status, t.priority, t.runAt, t.id),
    index("jobs_status_lease").on(t.status, t.leaseUntil),
  ],
);

/** Webhook deliveries already accepted, so a redelivery is answered without doing anything twice. */
export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  event: text("event").notNull(),
  jobIds: text("job_ids", { mode: "json" }).$type<string[]>().notNull(),
  receivedAt: integer("received_at").notNull(),
});

/** Append-only, hash-chained log: hash = sha256(prevHash + canonical JSON of the event). */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    time: integer("time").notNull(),
    kind: text("kind").notNull(),
    actor: text("actor").notNull(),
    subject: text("subject").notNull(),
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [index("audit_kind_seq").on(t.kind, t.seq), index("audit_subject_seq").on(t.subject, t.seq)],
);

export type ReleaseRow = typeof releases.$inferSelect;
export type NewReleaseRow = typeof releases.$inferInsert;
export type PromotionRow = typeof promotions.$inferSelect;
export type NewPromotionRow = typeof promotions.$inferInsert;
export type JobRow = typeof jobs.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Environments whose manifest no longer says what relbot last promoted there (a hand edit, a revert), as the
 * reconciler last saw them. A row exists only while the drift lasts; its start and end are audit events.
 */
export const environmentDrift = sqliteTable(
  "environment_drift",
  {
    app: text("app").notNull(),
    env: text("env").notNull(),
    expected: text("expected"),
    actual: text("actual"),
    detectedAt: integer("detected_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.app, t.env] })],
);

export type EnvironmentDriftRow = typeof environmentDrift.$inferSelect;

/**
 * The promotion statuses after which the environment holds the promotion's version: `succeeded` (relbot pushed the
 * commit) and `noop` (the manifest already said so; nothing to commit). Every "what runs where" question counts both.
 */
export const promotionInEffect = ["succeeded", "noop"] as const;

/**
 * Slack requests already acted on, by signature (which covers the timestamp and the body), kept while their
 * timestamp is inside Slack's 5-minute window: a captured request replayed within it is refused, also after
 * a restart. Older rows are pruned as new ones arrive.
 */
export const slackRequests = sqliteTable(
  "slack_requests",
  {
    signature: text("signature").primaryKey(),
    /** X-Slack-Request-Timestamp, Unix seconds. */
    timestamp: integer("timestamp").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("slack_requests_timestamp").on(t.timestamp)],
);

// --- GitHub Deployments (issue 16): the one GitHub deployment each promotion is shown as ---
/**
 * The GitHub deployment relbot made for a promotion, so each promotion has exactly one across retries and restarts:
 * `createAttemptedAt` is written before the create call, so a job that finds it set without a `deploymentId` (the
 * answer was lost, or relbot died in between) looks the deployment up on GitHub before it would make another.
 */
export const githubDeployments = sqliteTable(
  "github_deployments",
  {
    promotionId: text("promotion_id").primaryKey(),
    app: text("app").notNull(),
    env: text("env").notNull(),
    /** "owner/repo" on the configured GitHub. */
    repository: text("repository").notNull(),
    /** GitHub's environment name (the relbot environment's name) and the ref deployed (the release tag). */
    environment: text("environment").notNull(),
    ref: text("ref").notNull(),
    deploymentId: integer("deployment_id"),
    createAttemptedAt: integer("create_attempted_at"),
    /** The last status relbot posted: in_progress, success, failure, inactive; `refused` when GitHub said no (4xx). */
    state: text("state", { enum: ["in_progress", "success", "failure", "inactive", "refused"] }),
    /** Why GitHub refused (its status and message), when state is `refused`. */
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // The deployment a new success replaces: the app's earlier successful one in the same environment.
  (t) => [index("github_deployments_app_env_state").on(t.app, t.env, t.state)],
);

export type GitHubDeploymentRow = typeof githubDeployments.$inferSelect;
