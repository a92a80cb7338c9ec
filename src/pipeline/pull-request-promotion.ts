// Pull-request mode (`via: pull-request`): instead of pushing to the GitOps branch, the promotion job commits on
// `relbot/<promotion-id>` from the branch tip, pushes that branch (create-only) and opens ONE pull request.
//
// Exactly one pull request per promotion, across retries and restarts: the branch name is derived from the
// promotion id, so before anything is made GitHub is asked for a pull request with that head (open or closed).
// A branch left without a pull request is replaced (compare-and-swap) by this attempt's commit, never proposed unseen. A crash after GitHub opened the pull request
// but before relbot recorded it is therefore healed by the next attempt's lookup, never by a second pull request.

import type { RelbotConfig } from "../config/index.ts";
import { countedApprovers } from "../domain/approvals.ts";
import { pullRequestBody, pullRequestBranch } from "../domain/pull-requests.ts";
import { RelbotError } from "../errors.ts";
import { releaseTagStatus } from "../github/commit-status.ts";
import { isAlreadyExists, type PullRequestState, type PullRequests } from "../github/pull-requests.ts";
import type { CommitSigner, GitopsWriter, PromotionChange } from "../gitops/index.ts";
import type { Logger } from "../log.ts";
import type { Db, PromotionRow } from "../store/index.ts";
import { releaseRecords, verifiedRelease } from "../store/queries/index.ts";
import { recordPromotionsSucceeded, versionInFile } from "./promotion-records.ts";
import { recordPullRequestOpened } from "./pull-request-records.ts";
import { applyPullRequestState } from "./pull-request-state.ts";

export interface PullRequestModeDeps {
  db: Db;
  config: Pick<RelbotConfig, "apps"> & { gitops: Pick<RelbotConfig["gitops"], "branch" | "pullRequests"> };
  writer: Pick<GitopsWriter, "pushPromotionBranch">;
  pulls: PullRequests;
  clock: { now(): number };
  /** gitops.signing's signer: named in the pull request body. */
  signer?: Pick<CommitSigner, "format" | "fingerprint">;
  watchDeployments?: boolean;
  logger?: Logger;
  /** TEST SEAM: runs right after GitHub opened the pull request, before relbot records it (a crash there). */
  afterPullRequestCreated?(pull: PullRequestState): Promise<void> | void;
}

/** Does this environment take its promotions as pull requests? */
export function viaPullRequest(config: Pick<RelbotConfig, "apps">, row: PromotionRow): boolean {
  return config.apps[row.app]?.environments.find((env) => env.name === row.env)?.via === "pull-request";
}

/**
 * Opens (or finds) the pull request of the request's promotions and records them pr-open; returns the rows as
 * recorded. A pull request found already merged or closed is recorded through to its end.
 */
export async function promoteViaPullRequest(
  deps: PullRequestModeDeps,
  rows: PromotionRow[],
  changes: PromotionChange[],
  beforePush: () => Promise<void>,
  logger: Logger,
): Promise<PromotionRow[]> {
  const primary = rows[0]!;
  const branch = pullRequestBranch(primary.id);
  const base = deps.config.gitops.branch;

  // An earlier attempt may have opened it: never a second one.
  const found = await findPullRequest(deps.pulls, branch);
  if (found) {
    logger.info(
      { branch, pullRequest: found.number },
      "pull request of this promotion found; not opening another",
    );
    return recordFound(deps, rows, found);
  }

  const request = {
    requestId: primary.requestId,
    actor: primary.actor,
    reason: primary.reason ?? undefined,
    changes,
    beforePush,
    branch,
  };
  let pushed = await deps.writer.pushPromotionBranch(request);
  if (pushed.status === "branch-moved") {
    // The branch exists without a pull request: an earlier attempt pushed it and died before opening one (or
    // someone else pushed there). Its commit is not proposed unseen: it is replaced, from exactly the commit seen,
    // by this attempt's own commit on the current tip. Still one commit on the branch.
    logger.info({ branch, replacing: pushed.current }, "branch left without a pull request: replacing it");
    pushed = await deps.writer.pushPromotionBranch({ ...request, replacing: pushed.current });
    if (pushed.status === "branch-moved") {
      throw new RelbotError("gitops.push_failed", `${branch} keeps moving (now ${pushed.current})`);
    }
  }
  if (pushed.status === "noop") {
    // The branch already holds the versions: nothing to review, recorded as a push would record it.
    return recordPromotionsSucceeded(
      deps.db,
      rows,
      { status: "noop", commit: null, changes: pushed.changes },
      deps.config.apps,
      deps.clock.now(),
      { watchDeployments: deps.watchDeployments },
    );
  }
  const made = pushed;
  const commit = made.commit;
  const title = made.message.split("\n")[0]!;
  // What the file really held on the tip, as the version it stands for (the rebuild rule compares against it).
  rows = rows.map((row) => {
    const change = made.changes.find((c) => c.promotionId === row.id);
    const held = change?.fromVersion;
    return held === undefined || held === null
      ? row
      : { ...row, fromVersion: versionInFile(deps.db, row, held, deps.config.apps[row.app]?.dir ?? "") };
  });

  let pull: PullRequestState;
  try {
    pull = await deps.pulls.create({
      title,
      body: `${pullRequestBodyFor(deps, rows, commit)}\n\n${squashTrailers(made.message)}`,
      head: branch,
      base,
    });
  } catch (error) {
    // Opened by an attempt whose answer was lost: GitHub says it exists; take that one.
    if (!isAlreadyExists(error)) throw error;
    const existing = await findPullRequest(deps.pulls, branch);
    if (!existing) throw error;
    return recordFound(deps, rows, existing);
  }
  logger.info({ branch, pullRequest: pull.number, commit }, "pull request opened");
  await deps.afterPullRequestCreated?.(pull);
  return labelAndRecord({ ...deps, logger }, rows, pull, commit);
}

async function findPullRequest(pulls: PullRequests, branch: string): Promise<PullRequestState | undefined> {
  const all = await pulls.findByHead(branch);
  // Open first, then the newest closed one: one promotion has one pull request unless a person opened another.
  return all.find((pull) => pull.state === "open") ?? all[0];
}

async function recordFound(
  deps: PullRequestModeDeps,
  rows: PromotionRow[],
  pull: PullRequestState,
): Promise<PromotionRow[]> {
  const opened =
    pull.state === "open"
      ? await labelAndRecord(deps, rows, pull, pull.headSha)
      : recordPullRequestOpened(
          deps.db,
          rows,
          { number: pull.number, url: pull.url, commit: pull.headSha },
          deps.clock.now(),
        );
  if (pull.state === "open") return opened;
  // Merged or closed while relbot was away: record it through.
  return opened.map(
    (row) =>
      applyPullRequestState(
        {
          db: deps.db,
          apps: deps.config.apps,
          clock: deps.clock,
          watchDeployments: deps.watchDeployments,
          deleteBranches: deps.config.gitops.pullRequests?.deleteBranches,
        },
        row,
        pull,
        "reconcile",
      )?.promotion ?? row,
  );
}

async function labelAndRecord(
  deps: PullRequestModeDeps,
  rows: PromotionRow[],
  pull: PullRequestState,
  commit: string,
): Promise<PromotionRow[]> {
  // Adding labels is idempotent (a retry adds them again, harmlessly), and a label GitHub refuses must not fail a
  // promotion whose pull request is open: it is recorded either way.
  try {
    await deps.pulls.addLabels(pull.number, deps.config.gitops.pullRequests?.labels ?? []);
  } catch (error) {
    deps.logger?.warn({ err: error, pullRequest: pull.number }, "could not label the pull request");
  }
  await markReleaseTagChecked(deps, rows, pull, commit);
  return recordPullRequestOpened(
    deps.db,
    rows,
    { number: pull.number, url: pull.url, commit },
    deps.clock.now(),
  );
}

/**
 * `relbot/release-tag: success` on the head: the release tags were checked against what was verified right before the
 * push. A branch protection rule can require it; relbot turns it to failure when a tag moves (pull-request-tag.ts).
 * GitHub away: thrown, so the job's next attempt finds this pull request and sets it then. Refused (no statuses:
 * write): logged; with the rule in place the merge then waits for it, which is the safe side.
 */
async function markReleaseTagChecked(
  deps: PullRequestModeDeps,
  rows: PromotionRow[],
  pull: PullRequestState,
  commit: string,
): Promise<void> {
  const tags = rows.map((row) => verifiedRelease(deps.db, row.app, row.toVersion)?.tagName ?? row.toVersion);
  try {
    await deps.pulls.setStatus(
      commit,
      releaseTagStatus("success", `${[...new Set(tags)].join(", ")} names the tag object relbot verified`),
    );
  } catch (error) {
    if (error instanceof RelbotError && error.code === "pull_request.unavailable") throw error;
    deps.logger?.warn(
      { err: error, pullRequest: pull.number },
      "could not set the relbot/release-tag status",
    );
  }
}

/**
 * The commit's trailer paragraph, hidden in an HTML comment at the very end of the body. A squash merge whose message
 * is the pull request's title and description (GitHub's setting "Default to pull request title and description")
 * then still carries `Relbot-Promotion: <id>` in its last paragraph, so relbot's history scan recognises the squash
 * commit as this promotion's. relbot's pull-request path itself never needs it: the merge is recorded from GitHub's
 * merge_commit_sha (webhook or reconciler), whatever the merge method and message. The comment keeps the lines out of
 * the rendered body (an actor's name there can mention no one).
 */
export function squashTrailers(message: string): string {
  const trailers =
    message
      .trimEnd()
      .split(/\n\s*\n/)
      .at(-1) ?? "";
  // Trailers are single lines without control characters, but an actor's name could hold "-->" and end it early.
  return `<!-- relbot: trailers kept by a squash merge\n${trailers.replaceAll("-->", "- ->")}\n-->`;
}

function pullRequestBodyFor(deps: PullRequestModeDeps, rows: PromotionRow[], commit: string): string {
  const relbotUrl = deps.config.gitops.pullRequests?.relbotUrl?.replace(/\/+$/, "") ?? "";
  return rows
    .map((row) => {
      const release = releaseRecords(deps.db, row.app, row.toVersion).find((r) => r.status === "verified");
      const app = deps.config.apps[row.app];
      const pinned = app?.environments.find((env) => env.name === row.env)?.pin === "commit";
      const path = `/api/v1/apps/${encodeURIComponent(row.app)}/releases/${encodeURIComponent(row.toVersion)}`;
      if (!app) throw new RelbotError("gitops.unknown_target", `${row.app} is no longer in the config`);
      return pullRequestBody({
        promotionId: row.id,
        app: row.app,
        env: row.env,
        kind: row.kind,
        fromVersion: row.fromVersion,
        toVersion: row.toVersion,
        revision: pinned && release?.commit ? release.commit : (release?.tagName ?? row.toVersion),
        ...(release
          ? {
              release: {
                tagName: release.tagName,
                tagObject: release.tagObject,
                commit: release.commit,
                signatureFormat: release.signatureFormat,
                signer: release.signer,
                keyFingerprint: release.keyFingerprint,
                sbomDigest: release.sbomDigest,
                sbomFormat: release.sbomFormat,
              },
            }
          : {}),
        gitopsCommit: commit,
        ...(deps.signer
          ? { commitSigner: { format: deps.signer.format, fingerprint: deps.signer.fingerprint } }
          : {}),
        approvalsRequired: row.approvalsRequired,
        approvedBy: countedApprovers({ requester: row.actor, approvals: row.approvals ?? [] }),
        requester: row.actor,
        source: row.source,
        reason: row.reason,
        releaseLink: `${relbotUrl}${path}`,
      });
    })
    .join("\n\n---\n\n");
}
