// Four-eyes approvals through the running service: a Slack request into an environment with `approvals: 2`
// waits, naming its approvers; `/release approve` in Slack and in a GitHub comment, and POST .../approve on the
// API count each person once (never the requester); `/release reject` and POST .../reject end it. A comment approves
// only in the repository of the promotion's app (or one listed in github.commandRepos), like every comment command.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { auditEvents, jobs, promotions } from "../../src/store/index.ts";
import { settledJob } from "../support/eventually.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import {
  app,
  type ChatopsHarness,
  issueComment,
  promotionById,
  seedSucceeded,
  sendSlack,
  slashBody,
  startChatopsRelbot,
  tokens,
} from "../support/relbot-chatops.ts";
import { deliver } from "../support/relbot-webhooks.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot({
    commandRepos: ["acme/release-ops"],
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
    seedRelease(h.relbot.database.db, { app: "ledger-svc", version: v });
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
    const answer = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment(`/release approve ${id}`, { login: "alice", repository: "acme/ledger-svc" }),
    );
    expect(answer.status).toBe(202);
    const job = await settledJob(h.relbot.database.db, answer.body.jobIds[0]);
    expect(job.status).toBe("succeeded");
    expect(promotionById(h.relbot, id)!.approvals?.map((a) => [a.by, a.source])).toEqual([
      ["alice", "github"],
    ]);
    const reply = (h.comments.get("acme/ledger-svc#42") ?? []).at(-1)!.body;
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

  test("a comment in a repository that is not the promoted app's cannot approve or reject it", async () => {
    const id = waitingId(await slash("promote ledger-svc v1.1.0 to prod", "U0ALICE"));
    const jobsBefore = h.relbot.database.db.select().from(jobs).all().length;
    // Another app's repository (relbot answers commands there, but not for ledger-svc) and a stranger's.
    for (const repository of ["acme/order-svc", "acme/website", "mallory/ledger-svc"]) {
      for (const command of [`/release approve ${id}`, `/release reject ${id} because no`]) {
        const answer = await deliver(
          h.relbot.url,
          "issue_comment",
          issueComment(command, { login: "carol", repository }),
        );
        expect(answer.status).toBe(202);
        expect(answer.body.ignored).toBe(
          `commands for ledger-svc are taken only in its own repository or a repository listed in github.commandRepos, not in ${repository}`,
        );
      }
    }
    expect(h.relbot.database.db.select().from(jobs).all()).toHaveLength(jobsBefore);
    expect(promotionById(h.relbot, id)).toMatchObject({ status: "awaiting-approval", approvals: [] });
    expect(eventsOf(id)).toEqual([["promotion.requested", "alice"]]);

    // An unknown id is answered like an unknown app name: where relbot takes commands, not in a stranger's repository.
    const unknown = "prm_01jnqzzzzzzzzzzzzzzzzzzzzz";
    const elsewhere = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment(`/release approve ${unknown}`, { login: "carol", repository: "acme/website" }),
    );
    expect(elsewhere.body.ignored).toContain("not in acme/website");
    const answered = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment(`/release approve ${unknown}`, { login: "carol", repository: "acme/order-svc" }),
    );
    expect(answered.body.jobIds).toHaveLength(1);

    // The app's own repository, and a repository listed in github.commandRepos, may.
    const listed = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment(`/release approve ${id}`, { login: "carol", repository: "acme/release-ops" }),
    );
    expect((await settledJob(h.relbot.database.db, listed.body.jobIds[0])).status).toBe("succeeded");
    const own = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment(`/release approve ${id}`, { login: "bob", repository: "acme/ledger-svc" }),
    );
    expect((await settledJob(h.relbot.database.db, own.body.jobIds[0])).status).toBe("succeeded");
    const approved = promotionById(h.relbot, id)!;
    expect(approved.status).toBe("queued");
    expect(approved.approvals?.map((a) => [a.by, a.source])).toEqual([
      ["carol", "github"],
      ["bob", "github"],
    ]);
  });
});
