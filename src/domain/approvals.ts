// Four-eyes approvals as pure functions (no clock, no database): who counts, when N is reached, when a request
// has waited too long. src/promotion/approval.ts feeds them what is recorded and writes what they decide.

/** One recorded approval of a promotion. */
export interface Approval {
  /** The approver's name as relbot knows them (Slack users mapped through slack.users, a GitHub login, a token). */
  by: string;
  at: number;
  source: string;
}

export interface ApprovalState {
  status: string;
  /** Who asked for the promotion: their own approval never counts. */
  requester: string;
  /** Approvals needed besides the requester's own (the environment's `approvals` when it was asked). */
  required: number;
  approvals: readonly Approval[];
  /** When the request stops waiting (createdAt + approvalTimeout). */
  expiresAt: number;
}

export interface Vote {
  actor: string;
  decision: "approve" | "reject";
  /** The actor is one of the environment's approvers (users or a member of an @org/team), asked beforehand. */
  isApprover: boolean;
  at: number;
}

export type VoteVerdict =
  /** The request is not waiting for approval (already queued, rejected, expired, or never needed one). */
  | { verdict: "not_waiting"; status: string }
  /** Past its deadline: the request ends as expired, the vote is not recorded. */
  | { verdict: "expired" }
  | { verdict: "own_request" }
  | { verdict: "not_approver" }
  /** This person already approved: nothing changes. */
  | { verdict: "already_counted"; approvers: string[]; remaining: number }
  | { verdict: "rejected"; by: string }
  /** Counted; `approved` when this approval made N. */
  | { verdict: "counted"; approvers: string[]; remaining: number; approved: boolean };

/** Names compare case-insensitively (GitHub logins and the config's approvers are). */
export const samePerson = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The distinct approvers who count: never the requester, each person once, in the order they approved. */
export function countedApprovers(state: Pick<ApprovalState, "requester" | "approvals">): string[] {
  const counted: string[] = [];
  for (const approval of state.approvals) {
    if (samePerson(approval.by, state.requester)) continue;
    if (counted.some((name) => samePerson(name, approval.by))) continue;
    counted.push(approval.by);
  }
  return counted;
}

export function isApprovalExpired(state: Pick<ApprovalState, "status" | "expiresAt">, now: number): boolean {
  return state.status === "awaiting-approval" && now >= state.expiresAt;
}

/**
 * Judges one approve or reject. Order matters: a request that is not waiting, or has expired, answers that
 * first; the requester cannot approve or reject their own request (withdrawing is not approval); only approvers
 * may vote; an approval already counted changes nothing.
 */
export function judgeVote(state: ApprovalState, vote: Vote): VoteVerdict {
  if (state.status !== "awaiting-approval") return { verdict: "not_waiting", status: state.status };
  if (isApprovalExpired(state, vote.at)) return { verdict: "expired" };
  if (samePerson(vote.actor, state.requester)) return { verdict: "own_request" };
  if (!vote.isApprover) return { verdict: "not_approver" };
  if (vote.decision === "reject") return { verdict: "rejected", by: vote.actor };
  const before = countedApprovers(state);
  if (before.some((name) => samePerson(name, vote.actor))) {
    return {
      verdict: "already_counted",
      approvers: before,
      remaining: Math.max(0, state.required - before.length),
    };
  }
  const approvers = [...before, vote.actor];
  const remaining = Math.max(0, state.required - approvers.length);
  return { verdict: "counted", approvers, remaining, approved: remaining === 0 };
}
