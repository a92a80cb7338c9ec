// Four-eyes approvals through the running service: a Slack request into an environment with `approvals: 2`
// waits, naming its approvers; `/release approve` in Slack and in a GitHub comment, and POST .../approve on the
// API count each person once (never the requester); `/release reject` and POST .../reject end it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { auditEvents, jobs, promotions } from "../../src/store/index.ts";
import {
  app,
  type ChatopsHarness,
  promotionById,
  seedRelease,
  seedSucceeded,
  sendSlack,
  settledJob,
  slashBody,
  startChatopsRelbot,
  tokens,
} from "../support/relbot-chatops.ts";
import { deliver, fixture } from "../support/relbot-webhooks.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot({
    apps: {
      "ledger-svc": app("ledger-svc", [
        { name: "dev", file: "envs/dev/ledger-svc.yaml" },
        {
          name: "prod",
          file: "envs/prod/ledger-svc.yaml",
          approvers: ["alice", "carol", "deployer", "@acme/sre"],
          approvals: 2,
        },
      ]),
    },
  });
  for (const v of ["v1.0.0", "v1.1.0"]) {
    seedRelease(h.relbot, "ledger-svc", v);
    seedSucceeded(h.relbot, "ledger-svc", "dev", v);
  }
});
afterAll(() => h.stop());

async function slash(text: string, user: string): Promise<string> {
  const response = await sendSlack(h.relbot.url, slashBody(h.slack, text, user));
  expect(response.status).toBe(200);
  return ((await response.json()) as { text: string }).text;
}

function api(path: string, body?: unknown) {
  return fetch(`${h.relbot.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tokens.deployer}`, "Content-Type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

const eventsOf = (id: string) =>
  h.relbot.database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subject, `promotion:${id}`))
    .all()
    .map((e) => [e.kind, e.actor]);
const waitingId = (text: string) => /\b(prm_[0-9a-z]{26})\b/.exec(text)![1]!;
const promotionJobs = (id: string) =>
  h.relbot.database.db
    .select()
    .from(jobs)
    .all()
    .filter((job) => job.kind === "promotion" && (job.payload as { promotionId: string }).promotionId === id);

describe("approvals through Slack, GitHub comments and the API", () => {
  test("two others approve (own and repeated approvals do not count); then it is queued", async () => {
    const asked = await slash("promote ledger-svc v1.0.0 to prod because quarterly close", "U0ALICE");
    const id = waitingId(asked);
    expect(asked).toContain("needs 2 approvals besides alice's: alice, carol, deployer, @acme/sre");
    expect(asked).toContain(`/release approve ${id}`);
    expect(promotionById(h.relbot, id)).toMatchObject({ status: "awaiting-approval", approvalsRequired: 2 });
    expect(promotionJobs(id)).toHaveLength(0);

    expect(await slash(`approve ${id}`, "U0ALICE")).toContain("approvals must come from someone else");
    expect(await slash(`approve ${id}`, "U0DAVE")).toContain("dave may not approve promotions into prod");
    // bob is on @acme/sre (the GitHub stand-in says so): resolved as for requests.
    expect(await slash(`approve ${id}`, "U0BOB")).toContain(
      "Approved by bob: the promotion of ledger-svc v1.0.0 to prod",
    );
    expect(await slash(`approve ${id}`, "U0BOB")).toContain("bob already approved");
    expect(promotionJobs(id)).toHaveLength(0);

    const response = await api(`/api/v1/promotions/${id}/approve`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body).toMatchObject({ status: "queued", approvers: ["bob", "deployer"], remaining: 0 });
    expect(body.promotion).toMatchObject({
      status: "queued",
      approvedBy: ["bob", "deployer"],
      approvalsRequired: 2,
    });
    expect(promotionJobs(id)).toHaveLength(1);
    expect(eventsOf(id)).toEqual([
      ["promotion.requested", "alice"],
      ["promotion.approved", "bob"],
      ["promotion.approved", "deployer"],
    ]);
    // Now it is no longer waiting.
    const late = await api(`/api/v1/promotions/${id}/approve`);
    expect(late.status).toBe(409);
    expect(((await late.json()) as any).error.code).toBe("approval.not_waiting");
  });

  test("/release approve in a GitHub comment counts the commenter", async () => {
    const id = waitingId(await slash("promote ledger-svc v1.1.0 to prod", "U0CAROL"));
    const payload = JSON.parse(fixture("issue-comment"));
    payload.comment.body = `/release approve ${id}`;
    payload.comment.id = 2590817799;
    payload.comment.user.login = "alice";
    payload.sender.login = "alice";
    const answer = await deliver(h.relbot.url, "issue_comment", JSON.stringify(payload));
    expect(answer.status).toBe(202);
    const job = await settledJob(h.relbot, answer.body.jobIds[0]);
    expect(job.status).toBe("succeeded");
    expect(promotionById(h.relbot, id)!.approvals?.map((a) => [a.by, a.source])).toEqual([
      ["alice", "github"],
    ]);
    const reply = (h.comments.get("acme/order-svc#42") ?? []).at(-1)!.body;
    expect(reply).toContain(
      `Approved by alice: the promotion of ledger-svc v1.1.0 to prod (${id}) needs 1 more approval`,
    );

    // And rejected on the API with a reason: ended, nothing queued, an audit event.
    const rejected = await api(`/api/v1/promotions/${id}/reject`, { reason: "wrong quarter" });
    expect(rejected.status).toBe(200);
    expect(((await rejected.json()) as any).status).toBe("rejected");
    expect(promotionById(h.relbot, id)).toMatchObject({
      status: "rejected",
      error: "rejected by deployer: wrong quarter",
    });
    expect(promotionJobs(id)).toHaveLength(0);
    expect(eventsOf(id).at(-1)).toEqual(["promotion.rejected", "deployer"]);
  });

  test("/release reject in Slack, and refusals on the API for unknown and malformed ids", async () => {
    const id = waitingId(await slash("promote ledger-svc v1.1.0 to prod", "U0ALICE"));
    const text = await slash(`reject ${id} because the change window is closed`, "U0CAROL");
    expect(text).toContain("was rejected: rejected by carol: the change window is closed");
    expect(h.relbot.database.db.select().from(promotions).where(eq(promotions.id, id)).get()!.status).toBe(
      "rejected",
    );
    expect((await api("/api/v1/promotions/prm_01jnqzzzzzzzzzzzzzzzzzzzzz/approve")).status).toBe(404);
    expect((await api("/api/v1/promotions/nope/approve")).status).toBe(400);
  });
});
