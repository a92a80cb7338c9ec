// The approval decisions as a table: who counts, when N is reached, expiry.
import { describe, expect, test } from "bun:test";
import {
  type Approval,
  type ApprovalState,
  countedApprovers,
  isApprovalExpired,
  judgeVote,
  type Vote,
} from "../../src/domain/approvals.ts";

const hour = 3_600_000;
const approved = (...names: string[]): Approval[] => names.map((by, i) => ({ by, at: i, source: "slack" }));
const state = (overrides: Partial<ApprovalState> = {}): ApprovalState => ({
  status: "awaiting-approval",
  requester: "alice",
  required: 2,
  approvals: [],
  expiresAt: 24 * hour,
  ...overrides,
});
const vote = (actor: string, overrides: Partial<Vote> = {}): Vote => ({
  actor,
  decision: "approve",
  isApprover: true,
  at: hour,
  ...overrides,
});

describe("judgeVote", () => {
  const table: [string, ApprovalState, Vote, ReturnType<typeof judgeVote>][] = [
    [
      "first of two approvals",
      state(),
      vote("bob"),
      { verdict: "counted", approvers: ["bob"], remaining: 1, approved: false },
    ],
    [
      "second approver reaches N",
      state({ approvals: approved("bob") }),
      vote("carol"),
      { verdict: "counted", approvers: ["bob", "carol"], remaining: 0, approved: true },
    ],
    ["the requester's own approval", state(), vote("alice"), { verdict: "own_request" }],
    ["the requester, other case", state(), vote("ALICE"), { verdict: "own_request" }],
    [
      "a repeated approval",
      state({ approvals: approved("bob") }),
      vote("Bob"),
      { verdict: "already_counted", approvers: ["bob"], remaining: 1 },
    ],
    ["not an approver", state(), vote("mallory", { isApprover: false }), { verdict: "not_approver" }],
    [
      "a non-approver cannot reject either",
      state(),
      vote("mallory", { decision: "reject", isApprover: false }),
      { verdict: "not_approver" },
    ],
    [
      "the requester cannot reject",
      state(),
      vote("alice", { decision: "reject" }),
      { verdict: "own_request" },
    ],
    ["an approver rejects", state(), vote("bob", { decision: "reject" }), { verdict: "rejected", by: "bob" }],
    [
      "reject after one approval",
      state({ approvals: approved("carol") }),
      vote("bob", { decision: "reject" }),
      { verdict: "rejected", by: "bob" },
    ],
    ["at the deadline", state(), vote("bob", { at: 24 * hour }), { verdict: "expired" }],
    [
      "already queued",
      state({ status: "queued" }),
      vote("bob"),
      { verdict: "not_waiting", status: "queued" },
    ],
    [
      "already rejected",
      state({ status: "rejected" }),
      vote("bob"),
      { verdict: "not_waiting", status: "rejected" },
    ],
    [
      "one approval needed",
      state({ required: 1 }),
      vote("bob"),
      { verdict: "counted", approvers: ["bob"], remaining: 0, approved: true },
    ],
    [
      "recorded own and repeated approvals never count towards N",
      state({ approvals: approved("alice", "bob", "BOB") }),
      vote("carol"),
      { verdict: "counted", approvers: ["bob", "carol"], remaining: 0, approved: true },
    ],
  ];
  for (const [name, s, v, expected] of table) {
    test(name, () => expect(judgeVote(s, v)).toEqual(expected));
  }
});

describe("countedApprovers and expiry", () => {
  test("each person once, never the requester, in approval order", () => {
    expect(countedApprovers(state({ approvals: approved("carol", "alice", "bob", "Carol") }))).toEqual([
      "carol",
      "bob",
    ]);
  });

  test("expired only while awaiting approval, from the deadline on", () => {
    expect(isApprovalExpired(state(), 24 * hour - 1)).toBe(false);
    expect(isApprovalExpired(state(), 24 * hour)).toBe(true);
    expect(isApprovalExpired(state({ status: "queued" }), 48 * hour)).toBe(false);
  });
});
