import path from "node:path";
import { z } from "zod";
import { notificationEventKinds } from "../domain/notification-events.ts";
import { credentialFreeUrl, urlCredential } from "./url-credentials.ts";

// Every object is strict: a misspelt key ("aprovers") must fail loudly, never be ignored.

/** "60s", "5m", "250ms", "1h" or a number of seconds; 0 turns a periodic task off. Parsed to milliseconds. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value * 1000;
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration like 60s, 5m or 250ms` });
    return z.NEVER;
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
});

/** The name of an environment variable that holds a secret; the secret itself never sits in the file. */
const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable, not the secret itself");

/** A path inside the GitOps repository: relative, no "..", no NUL. */
export const repoRelativePath = z.string().superRefine((file, ctx) => {
  if (!isInsideRepo(file)) ctx.addIssue({ code: "custom", message: "must stay inside the GitOps repo" });
});

export function isInsideRepo(file: string): boolean {
  if (file.length === 0 || file.includes("\0") || file.includes("\\")) return false;
  if (path.posix.isAbsolute(file)) return false;
  const normal = path.posix.normalize(file);
  return normal !== "." && normal !== ".." && !normal.startsWith("../");
}

const environmentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
  file: repoRelativePath,
  auto: z.boolean().default(false),
  prerelease: z.boolean().default(false),
  /** User names or "@org/team" slugs allowed to promote into this environment. */
  approvers: z
    .array(z.string().regex(/^(@[\w.-]+\/[\w.-]+|[\w.-]+)$/, "must be a user name or @org/team"))
    .optional(),
  /** metadata.name of the Application to edit when the file holds several documents. */
  application: z.string().optional(),
  /** `commit`: write the release's verified commit SHA (with a comment naming the tag), never the tag name. */
  pin: z.enum(["commit"]).optional(),
  // --- Argo CD deployment feedback (argocd: below) ---
  /** What relbot does when a release turns degraded here: nothing (default) or roll back to the last healthy one. */
  onDegraded: z.enum(["none", "rollback"]).optional(),
  // --- Protected environments: four-eyes approvals, pull requests ---
  /** Approvals needed besides the requester's own before the promotion is queued. */
  approvals: z.number().int().min(1).max(10).optional(),
  /** How long a request waits for its approvals before it ends as expired (default 24h). */
  approvalTimeout: durationSchema.optional(),
  // --- Pull-request mode (gitops.pullRequests): push the commit to the branch, or open a pull request with it ---
  /** Absent means push. */
  via: z.enum(["push", "pull-request"]).optional(),
});

const sbomSchema = z.union([
  z.strictObject({ asset: z.string().min(1), required: z.boolean().default(false) }),
  z.strictObject({ path: repoRelativePath, required: z.boolean().default(false) }),
]);

const appSchema = z.strictObject({
  repo: credentialFreeUrl("github.tokenEnv").pipe(z.string().min(1)),
  module: z
    .string()
    .regex(/^[^\s/][^\s]*[^\s/]$/, "must be a Go module path without a /vN suffix")
    .superRefine((module, ctx) => {
      // relbot adds the major-version suffix itself, from each tag's version (v2.1.0 -> .../v2).
      const suffix = /\/(v\d+)$/.exec(module);
      if (suffix) {
        ctx.addIssue({
          code: "custom",
          message: `ends in /${suffix[1]}: write the module path without the major-version suffix ("${module.slice(0, suffix.index)}"); relbot takes /${suffix[1]} from the tag's version`,
        });
      }
    }),
  dir: z
    .string()
    .default("")
    .refine((dir) => dir === "" || isInsideRepo(dir), "must be a relative sub-directory of the repository")
    .superRefine((dir, ctx) => {
      // Tags of a sub-directory module are "<dir>/vX.Y.Z": "api/" would look for "api//v1.0.0".
      if (dir.endsWith("/") && dir.replace(/\/+$/, "") !== "") {
        ctx.addIssue({
          code: "custom",
          message: `has a trailing slash: write "${dir.replace(/\/+$/, "")}"`,
        });
      }
    }),
  signers: z.string().min(1),
  sbom: sbomSchema.optional(),
  environments: z.array(environmentSchema).min(1, "needs at least one environment"),
});

const signerSetSchema = z
  .strictObject({
    openpgp: z.array(z.string().min(1)).default([]),
    ssh: z.string().min(1).optional(),
  })
  .refine(
    (set) => set.openpgp.length > 0 || set.ssh !== undefined,
    "needs openpgp keys or an ssh allowed_signers file",
  );

/** GitHub App credentials: each names the environment variable holding the value (the key is a PEM). */
const githubAppSchema = z.strictObject({
  appIdEnv: envVarName,
  privateKeyEnv: envVarName,
  installationIdEnv: envVarName,
});

// Protected environments: gitops.signing signs every commit relbot makes with the key the variable holds
// (an armored OpenPGP private key, or an OpenSSH private key for git's gpg.format=ssh).
const commitSigningSchema = z.union([
  z.strictObject({ openpgp: z.strictObject({ keyEnv: envVarName }) }),
  z.strictObject({ ssh: z.strictObject({ keyEnv: envVarName }) }),
]);

// --- Pull-request mode: the GitHub repository (the GitOps repository on GitHub) and the labels each pull request gets ---
const pullRequestsSchema = z.strictObject({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be a repository as "owner/repo"'),
  labels: z.array(z.string().min(1).max(50)).max(20).default([]),
  /** relbot's address as reviewers reach it: the pull request links the release in relbot's API there. */
  relbotUrl: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//i.test(url), "must be an http(s) URL")
    .optional(),
  /** Delete relbot/<promotion-id> once its pull request is merged or closed (a durable job; 404/422 = gone). */
  deleteBranches: z.boolean().default(true),
});

const tokenSchema = z.strictObject({
  name: z.string().min(1),
  tokenEnv: envVarName,
  scopes: z.array(z.enum(["read", "promote"])).min(1),
});

// --- Argo CD deployment feedback ---
const argocdSchema = z.strictObject({
  /** Base URL of the Argo CD API server, e.g. https://argocd.example.com. */
  url: credentialFreeUrl("argocd.tokenEnv").pipe(
    z
      .string()
      .url()
      .refine((url) => /^https?:\/\//i.test(url), "must be an http(s) URL"),
  ),
  /** A read-only account's token (applications, get). */
  tokenEnv: envVarName,
  /** Pushed -> healthy at the release within this, else the deployment ends as "timeout". */
  timeout: durationSchema.default(600_000),
  /** Shared secret Argo CD Notifications sends in the X-Relbot-Token header of POST /webhooks/argocd. */
  webhookSecretEnv: envVarName.optional(),
  /** How often the watch looks at the Applications being watched (a webhook makes it look at once). */
  pollInterval: durationSchema.default(10_000),
});

// Security opt-ins (issue 13): settings that widen what an unauthenticated or remote party can do, all off by
// default, and the repositories GitHub comment commands are taken from.
const securitySettings = {
  /**
   * Serve the dashboard without a token to a browser on this machine (loopback peer, loopback Host, no
   * forwarding header). Off by default: a proxy or tunnel on the same host would make every visitor local.
   */
  openDashboardOnLoopback: z.boolean().default(false),
  /**
   * Repositories ("owner/repo") whose comments may give `/release` commands for any app, besides each app's own
   * repository (e.g. an ops repository where releases are discussed).
   */
  commandRepos: z
    .array(z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be a repository as "owner/repo"'))
    .default([]),
  /**
   * Release checks one reconcile pass may queue per source repository (newest versions first); the rest are
   * queued by the next passes. Bounds what a flood of pushed tags puts in the queue at once.
   */
  maxQueuedPerRepo: z.number().int().min(1).default(50),
} as const;

// --- reconcile pass speed (issue 17): source repositories listed at once ---
/** Ref listings one reconcile pass runs at once: 500 repositories at ~100 ms a listing take 3 s at 16. */
const reconcileConcurrency = z.number().int().min(1).max(64).default(16);

// --- Packs a git server sends (issue 17, hostile or broken servers): GitOps and source repositories alike ---
/**
 * relbot fetches shallow (a tip's tree, the commit objects of its history, single blobs): a GitOps repository of
 * 100,000 manifests packs to tens of MB. The pack cap stops a server that streams without end from filling
 * the disk; the object cap stops one pack entry from making relbot allocate gigabytes (GitHub refuses files over
 * 100 MiB, so no host serves a larger object).
 */
export const gitPackDefaults = { maxPackBytes: 1024 * 1024 * 1024, maxObjectBytes: 100 * 1024 * 1024 };
const gitPackLimitsSchema = z
  .strictObject({
    /** Bytes of one pack streamed to disk; past them the download stops and the partial file is deleted. */
    maxPackBytes: z.number().int().min(1024).default(gitPackDefaults.maxPackBytes),
    /** Largest object (inflated, deltas applied) one pack entry may announce; larger is refused unallocated. */
    maxObjectBytes: z.number().int().min(1024).default(gitPackDefaults.maxObjectBytes),
  })
  .default(gitPackDefaults);

// --- Channel notifications (issue 16): a Slack incoming webhook per entry, the events it hears, an app filter ---
const notificationChannelSchema = z.strictObject({
  /** The webhook URL is a secret (it alone lets anyone post to the channel): the variable holding it. */
  slack: z.strictObject({ webhookEnv: envVarName }),
  events: z
    .array(
      z.enum(notificationEventKinds, {
        error: (issue) =>
          `"${String(issue.input)}" is not an event relbot records (known: ${notificationEventKinds.join(", ")})`,
      }),
    )
    .min(1, "name at least one event"),
  /** Only events about these apps; absent: every app. */
  apps: z.array(z.string().min(1)).min(1).optional(),
});

/** A channel's app filter may only name configured apps: a typo would silence the channel for good. */
function checkNotificationApps(
  config: { notifications: { apps?: string[] | undefined }[]; apps: Record<string, unknown> },
  ctx: z.RefinementCtx,
): void {
  config.notifications.forEach((channel, index) => {
    channel.apps?.forEach((app, appIndex) => {
      if (!Object.hasOwn(config.apps, app)) {
        ctx.addIssue({
          code: "custom",
          path: ["notifications", index, "apps", appIndex],
          message: `unknown app "${app}" (known: ${Object.keys(config.apps).join(", ") || "none"})`,
        });
      }
    });
  });
}

// --- GitHub Deployments (issue 16): each promotion shown as a deployment on the app's repository ---
const githubDeploymentSettings = {
  /** With `github` configured, on unless set to false (the README's "GitHub Deployments"). */
  deployments: z.boolean().default(true),
  /** relbot's base URL as users reach it (https://relbot.example.com): deployment statuses link the promotion's record. */
  publicUrl: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//i.test(url), "must be an http(s) URL")
    // It is sent to GitHub and shown to everyone who can read the repository.
    .refine((url) => urlCredential(url) === undefined, "must not contain a user name or password")
    .optional(),
} as const;

const serverDefaults = { port: 8080, openDashboardOnLoopback: false };

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8080),
        openDashboardOnLoopback: securitySettings.openDashboardOnLoopback,
        // GitHub Deployments (issue 16): where users reach relbot, for the links its GitHub statuses carry.
        publicUrl: githubDeploymentSettings.publicUrl,
      })
      .default(serverDefaults),
    database: z
      .strictObject({ path: z.string().min(1).default("./data/relbot.db") })
      .default({ path: "./data/relbot.db" }),
    gitops: z.strictObject({
      url: credentialFreeUrl("gitops.tokenEnv").pipe(z.string().min(1)),
      branch: z.string().min(1).default("main"),
      tokenEnv: envVarName.optional(),
      author: z
        .strictObject({ name: z.string().min(1), email: z.string().min(3) })
        .default({ name: "relbot", email: "relbot@localhost" }),
      /** Where the persistent working copy lives. */
      cacheDir: z.string().default("./data/gitops"),
      // Protected environments (issue 15): signed commits.
      signing: commitSigningSchema.optional(),
      // Pull-request mode: where `via: pull-request` environments open their pull requests.
      pullRequests: pullRequestsSchema.optional(),
    }),
    github: z
      .strictObject({
        apiUrl: credentialFreeUrl("github.tokenEnv").pipe(z.string().url()).default("https://api.github.com"),
        tokenEnv: envVarName.optional(),
        /** Authenticate as a GitHub App (installation tokens) instead of with a token. */
        app: githubAppSchema.optional(),
        webhookSecretEnv: envVarName.optional(),
        commandRepos: securitySettings.commandRepos,
        deployments: githubDeploymentSettings.deployments,
      })
      .refine((github) => !(github.tokenEnv && github.app), {
        message: "set tokenEnv or app, not both: relbot authenticates to GitHub one way",
      })
      .optional(),
    slack: z
      .strictObject({
        signingSecretEnv: envVarName,
        users: z.record(z.string(), z.string()).default({}),
      })
      .optional(),
    reconcile: z
      .strictObject({
        interval: durationSchema.default(60_000),
        maxQueuedPerRepo: securitySettings.maxQueuedPerRepo,
        concurrency: reconcileConcurrency,
      })
      .default({ interval: 60_000, maxQueuedPerRepo: 50, concurrency: 16 }),
    /**
     * Release checks: a tag's tagger date may be at most `maxTagAge` older than the moment relbot first sees the tag
     * (0 = no limit; 720h = 30 days by default). Key validity never depends on it (README "Release checks").
     */
    releaseChecks: z
      .strictObject({ maxTagAge: durationSchema.default(720 * 3_600_000) })
      .default({ maxTagAge: 720 * 3_600_000 }),
    // --- packs a git server sends (issue 17): caps checked while they stream in ---
    git: gitPackLimitsSchema,
    api: z.strictObject({ tokens: z.array(tokenSchema).default([]) }).default({ tokens: [] }),
    argocd: argocdSchema.optional(),
    signers: z.record(z.string(), signerSetSchema),
    // --- audit chain key (issue 13 item 15) ---
    audit: z
      .strictObject({
        /** The HMAC key of the audit chain; never stored in the database. Without it the chain is unkeyed. */
        keyEnv: envVarName.optional(),
        /** Keys the chain was keyed with before a rotation, so older events still verify. */
        previousKeyEnvs: z.array(envVarName).default([]),
      })
      .default({ previousKeyEnvs: [] }),
    // --- channel notifications (issue 16) ---
    notifications: z.array(notificationChannelSchema).max(50).default([]),
    apps: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "app names are lower-case"), appSchema),
  })
  // `when`: these run even when another key has a problem (a typo in one key must not hide the unknown signer set
  // or the duplicate environment behind it until the next run), so they read the partly valid value defensively.
  .superRefine(checkAcrossKeys, { when: () => true })
  .superRefine(checkArgocdSettings)
  .superRefine(checkNotificationApps)
  .superRefine(checkPullRequestSettings);

/** Checks between keys: signer sets exist, environment and token names are unique, auto has no approvers. */
function checkAcrossKeys(config: unknown, ctx: z.RefinementCtx): void {
  const root = asRecord(config);
  const signers = asRecord(root.signers);
  for (const [appName, appValue] of Object.entries(asRecord(root.apps))) {
    const app = asRecord(appValue);
    if (typeof app.signers === "string" && !Object.hasOwn(signers, app.signers)) {
      ctx.addIssue({
        code: "custom",
        path: ["apps", appName, "signers"],
        message: `unknown signer set "${app.signers}" (known: ${Object.keys(signers).join(", ") || "none"})`,
      });
    }
    const seen = new Set<unknown>();
    asArray(app.environments).forEach((envValue, index) => {
      const env = asRecord(envValue);
      if (typeof env.name === "string" && seen.has(env.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["apps", appName, "environments", index, "name"],
          message: `duplicate environment "${env.name}"`,
        });
      }
      seen.add(env.name);
      // Protected environments: N approvals must be reachable, and never on an auto environment.
      if (typeof env.approvals === "number") {
        const approvers = asArray(env.approvers).filter(
          (entry): entry is string => typeof entry === "string",
        );
        const users = approvers.filter((entry) => !entry.startsWith("@"));
        const teams = approvers.length - users.length;
        if (env.auto === true) {
          ctx.addIssue({
            code: "custom",
            path: ["apps", appName, "environments", index, "approvals"],
            message: "an auto environment cannot need approvals: nobody asks for an automatic promotion",
          });
        } else if (users.length > 0 && teams === 0 && env.approvals > users.length - 1) {
          ctx.addIssue({
            code: "custom",
            path: ["apps", appName, "environments", index, "approvals"],
            message: `${env.approvals} approvals besides the requester's cannot be reached with ${users.length} approvers`,
          });
        }
      }
      if (env.auto === true && asArray(env.approvers).length > 0) {
        ctx.addIssue({
          code: "custom",
          path: ["apps", appName, "environments", index, "approvers"],
          message: "an auto environment cannot have approvers: nobody approves an automatic promotion",
        });
      }
    });
  }
  const tokenNames = new Set<unknown>();
  asArray(asRecord(root.api).tokens).forEach((tokenValue, index) => {
    const name = asRecord(tokenValue).name;
    if (typeof name === "string" && tokenNames.has(name)) {
      ctx.addIssue({
        code: "custom",
        path: ["api", "tokens", index, "name"],
        message: "duplicate token name",
      });
    }
    tokenNames.add(name);
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Settings that only make sense with deployment feedback from Argo CD. */
function checkArgocdSettings(
  config: { argocd?: unknown; apps: Record<string, { environments: { onDegraded?: string }[] }> },
  ctx: z.RefinementCtx,
): void {
  if (config.argocd) return;
  for (const [appName, app] of Object.entries(config.apps)) {
    app.environments.forEach((env, index) => {
      if (env.onDegraded === "rollback") {
        ctx.addIssue({
          code: "custom",
          path: ["apps", appName, "environments", index, "onDegraded"],
          message: "rollback on degraded needs the argocd section: without it relbot never learns the health",
        });
      }
    });
  }
}

/**
 * Pull-request mode needs somewhere to open the pull requests (gitops.pullRequests) and a way to GitHub's API
 * (github.tokenEnv or github.app): without them every promotion into the environment would fail at run time.
 */
function checkPullRequestSettings(
  config: {
    gitops: { pullRequests?: unknown };
    github?: { tokenEnv?: string; app?: unknown };
    apps: Record<string, { environments: { via?: string }[] }>;
  },
  ctx: z.RefinementCtx,
): void {
  for (const [appName, app] of Object.entries(config.apps)) {
    app.environments.forEach((env, index) => {
      if (env.via !== "pull-request") return;
      const path = ["apps", appName, "environments", index, "via"];
      if (!config.gitops.pullRequests) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `${appName}/${(env as { name?: string }).name}: via: pull-request needs gitops.pullRequests (repo: owner/name) to open pull requests in`,
        });
      }
      if (!config.github?.tokenEnv && !config.github?.app) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `${appName}/${(env as { name?: string }).name}: via: pull-request needs GitHub credentials (github.tokenEnv or github.app) to open pull requests`,
        });
      }
    });
  }
}

export type RelbotConfig = z.output<typeof configSchema>;
export type AppConfig = RelbotConfig["apps"][string];
export type EnvironmentConfig = AppConfig["environments"][number];
export type SignerSetConfig = RelbotConfig["signers"][string];
export type ArgocdConfig = NonNullable<RelbotConfig["argocd"]>;
