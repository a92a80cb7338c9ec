// Pull-request mode as pure functions: the branch a promotion's pull request comes from, the body a reviewer
// judges it by, what a closed pull request means for the promotion, and whether a conflicting one is rebuilt.

import { compareVersions, isValidVersion } from "./semver.ts";

/** The one branch of a promotion: its id makes it unique, and finding it again is how a retry avoids a second PR. */
export function pullRequestBranch(promotionId: string): string {
  return `relbot/${promotionId}`;
}

const branchPattern = /^relbot\/(prm_[0-9a-z]{26})$/;

/** The promotion id a head branch names, or undefined for any other branch. */
export function promotionIdFromBranch(ref: string): string | undefined {
  return ref.length <= 64 ? branchPattern.exec(ref)?.[1] : undefined;
}

/** What a pull request's state means for its pr-open promotion. */
export type PullRequestVerdict =
  | { verdict: "merged"; mergeCommit: string }
  | { verdict: "closed" }
  | { verdict: "rebuild" }
  | { verdict: "wait" };

export function judgePullRequest(pull: {
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  mergeable?: boolean | null;
  mergeableState?: string | null;
}): PullRequestVerdict {
  if (pull.merged && pull.mergeCommitSha) return { verdict: "merged", mergeCommit: pull.mergeCommitSha };
  if (pull.state === "closed") return pull.merged ? { verdict: "wait" } : { verdict: "closed" };
  // GitHub computes mergeability lazily: null means "not yet", never "conflicting".
  if (pull.mergeable === false || pull.mergeableState === "dirty") return { verdict: "rebuild" };
  return { verdict: "wait" };
}

/**
 * Whether a conflicting pull request is rebuilt on the new tip. The base moving is not enough reason to drop it,
 * nor an older version landing in the environment meanwhile (a promotion to a newer version is still an upgrade:
 * newest wins). Anything else is: the file holds something newer, or not a version relbot can order (a hand edit, a
 * rollback), and writing this version over it could downgrade or undo a decision. Then the pull request is closed
 * and the promotion cancelled; ask again if still wanted.
 */
export function rebuildVerdict(args: {
  /** What the file held when the pull request was opened (the promotion's fromVersion as written). */
  openedFrom: string | null;
  /** What the file holds on the new tip. */
  holdsNow: string | null;
  /** What the promotion writes. */
  writes: string;
  kind: "promote" | "rollback";
}): { rebuild: true } | { rebuild: false; reason: string } {
  if (args.holdsNow === args.openedFrom) return { rebuild: true };
  if (args.holdsNow === args.writes) {
    return { rebuild: false, reason: `the branch already holds ${args.writes}` };
  }
  if (
    args.kind === "promote" &&
    args.holdsNow !== null &&
    isComparable(args.holdsNow) &&
    isComparable(args.writes) &&
    compareVersions(args.holdsNow, args.writes) < 0
  ) {
    return { rebuild: true };
  }
  return {
    rebuild: false,
    reason: `the environment moved from ${args.openedFrom ?? "(unset)"} to ${args.holdsNow ?? "(unset)"} while the pull request waited; promote again if still wanted`,
  };
}

export interface PullRequestFacts {
  promotionId: string;
  app: string;
  env: string;
  kind: "promote" | "rollback";
  fromVersion: string | null;
  toVersion: string;
  /** What the manifest gets: the tag name, or the pinned commit. */
  revision: string;
  release?: {
    tagName: string;
    tagObject: string;
    commit: string | null;
    signatureFormat: string | null;
    signer: string | null;
    keyFingerprint: string | null;
    sbomDigest: string | null;
    sbomFormat: string | null;
  };
  gitopsCommit: string;
  /** gitops.signing: how the commit on the branch is signed. */
  commitSigner?: { format: string; fingerprint: string };
  approvalsRequired: number | null;
  approvedBy: readonly string[];
  requester: string;
  source: string;
  reason: string | null;
  /** The release in relbot's API: a full URL when gitops.pullRequests.relbotUrl is set, else the path. */
  releaseLink: string;
}

/** Markdown that a reviewer can judge the change by, without opening relbot. Untrusted text is made inert. */
export function pullRequestBody(facts: PullRequestFacts): string {
  const r = facts.release;
  const rows: [string, string][] = [
    ["App", code(facts.app)],
    ["Environment", code(facts.env)],
    [
      facts.kind === "rollback" ? "Rollback" : "Change",
      `${code(facts.fromVersion ?? "(unset)")} -> ${code(facts.toVersion)}${facts.revision !== facts.toVersion ? ` (written as ${code(facts.revision)})` : ""}`,
    ],
    ["Tag", r ? `${code(r.tagName)}, tag object ${code(r.tagObject)}` : "no verified release recorded"],
    ["Source commit", r?.commit ? code(r.commit) : "unknown"],
    [
      "Tag signed by",
      r?.signer
        ? `${inert(r.signer)} (${inert(r.signatureFormat ?? "?")} key ${code(r.keyFingerprint ?? "?")})`
        : "unknown",
    ],
    ["SBOM", r?.sbomDigest ? `${inert(r.sbomFormat ?? "sbom")} ${code(r.sbomDigest)}` : "none recorded"],
    [
      "Release checks",
      r ? "passed: tag name, tag object and signature, go.mod module rules, SBOM" : "not recorded",
    ],
    ["GitOps commit", code(facts.gitopsCommit)],
    [
      "Commit signature",
      facts.commitSigner
        ? `${inert(facts.commitSigner.format)} key ${code(facts.commitSigner.fingerprint)}`
        : "unsigned (gitops.signing is not set)",
    ],
    [
      "Approvals",
      facts.approvalsRequired
        ? `${facts.approvedBy.length} of ${facts.approvalsRequired}${facts.approvedBy.length > 0 ? `: ${facts.approvedBy.map(inert).join(", ")}` : ""}`
        : "none required",
    ],
    ["Requested by", `${inert(facts.requester)} (${inert(facts.source)})`],
    ["Reason", facts.reason ? inert(facts.reason) : "none given"],
    ["Release in relbot", inert(facts.releaseLink)],
  ];
  return [
    `relbot proposes this ${facts.kind === "rollback" ? "rollback" : "promotion"} (${code(facts.promotionId)}). Merging it is the deployment: relbot records the promotion as succeeded with the merge commit; closing it unmerged cancels the promotion.`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
    "",
    "Do not push to this branch: relbot rebuilds it on the new base when it conflicts.",
  ].join("\n");
}

/** Inline code that no backtick inside can break out of. */
function code(text: string): string {
  return `\`${inert(text).replace(/`/g, "'")}\``;
}

/** One line, no table pipes, no mentions or markup that would ping people or render: text of requesters is theirs. */
function inert(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/[|<>]/g, " ")
    .replace(/@/g, "@\u200b")
    .slice(0, 300)
    .trim();
}

function isComparable(version: string): boolean {
  return isValidVersion(version);
}

/**
 * Whether relbot follows a pull request reopened after its promotion was cancelled: only while the change is still
 * the newest for the environment. A promotion asked for (or landed) after this one took the environment over, and
 * an environment already running this version or a newer one makes the change moot or a downgrade.
 */
export function reopenVerdict(args: {
  /** What the promotion writes. */
  writes: string;
  kind: "promote" | "rollback";
  /** What the environment runs now: the newest finished promotion's version (null: none recorded). */
  current: string | null;
  /** Promotions of the same app and environment asked for after this one and not ended unapplied. */
  later: { id: string; toVersion: string; status: string }[];
}): { follow: true } | { follow: false; reason: string } {
  const later = args.later[0];
  if (later) {
    return {
      follow: false,
      reason: `promotion ${later.id} (${later.toVersion}, ${later.status}) was asked for after this one`,
    };
  }
  if (
    args.kind === "promote" &&
    args.current !== null &&
    isValidVersion(args.current) &&
    isValidVersion(args.writes) &&
    compareVersions(args.current, args.writes) >= 0
  ) {
    return { follow: false, reason: `the environment already runs ${args.current}` };
  }
  return { follow: true };
}
