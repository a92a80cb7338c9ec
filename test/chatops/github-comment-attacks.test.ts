// `/release` comments as an attacker would use them: a captured delivery resent under new delivery ids, a
// comment in a repository that is not the app's, and a read-only collaborator (author_association COLLABORATOR).

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { jobs, promotions } from "../../src/store/index.ts";
import { settledJob } from "../support/eventually.ts";
import { seedRelease } from "../support/promotion-fixtures.ts";
import {
  type ChatopsHarness,
  gitHubWrites,
  issueComment,
  seedSucceeded,
  startChatopsRelbot,
} from "../support/relbot-chatops.ts";
import { deliver } from "../support/relbot-webhooks.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot({ commandRepos: ["acme/release-ops"] });
  for (const v of ["v1.3.0", "v1.4.0", "v1.5.0"]) {
    seedRelease(h.relbot.database.db, { app: "order-svc", version: v });
    seedSucceeded(h.relbot, "order-svc", "dev", v);
  }
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.3.0");
});
afterAll(() => h.stop());
beforeEach(() => {
  h.github.requests.length = 0;
  h.comments.clear();
});

const jobCount = () => h.relbot.database.db.select().from(jobs).all().length;
const promotionsTo = (version: string, env: string) =>
  h.relbot.database.db
    .select()
    .from(promotions)
    .where(and(eq(promotions.toVersion, version), eq(promotions.env, env)))
    .all();
const permissionLookups = (login: string) =>
  h.github.requests.filter(
    (r) => r.method === "GET" && r.path.endsWith(`/collaborators/${login}/permission`),
  );

describe("comment replay", () => {
  test("one signed comment redelivered under three new delivery ids acts once", async () => {
    const body = issueComment("/release promote order-svc v1.4.0 to staging because train");
    const answers = [];
    // X-GitHub-Delivery is not covered by the signature: the attacker sets a fresh one each time.
    for (let i = 0; i < 3; i++) answers.push(await deliver(h.relbot.url, "issue_comment", body));
    expect(new Set(answers.map((a) => a.deliveryId)).size).toBe(3);
    const jobIds = new Set(answers.flatMap((a) => a.body.jobIds as string[]));
    expect(jobIds.size).toBe(1);
    expect(await settledJob(h.relbot.database.db, [...jobIds][0]!)).toMatchObject({
      status: "succeeded",
      attempts: 1,
    });
    expect(promotionsTo("v1.4.0", "staging")).toHaveLength(1);
    expect(h.comments.get("acme/order-svc#42")).toHaveLength(1);
  });
});

describe("commands from other repositories", () => {
  test("a comment in a repository that is not the app's own cannot command it: ignored, nothing said", async () => {
    const before = jobCount();
    for (const repository of ["mallory/order-svc", "acme/website"]) {
      const body = issueComment("/release promote order-svc v1.5.0 to staging", { repository });
      const answer = await deliver(h.relbot.url, "issue_comment", body);
      expect(answer.status).toBe(202);
      expect(answer.body.ignored).toBe(
        `commands for order-svc are taken only in its own repository or a repository listed in github.commandRepos, not in ${repository}`,
      );
    }
    // billing-svc lives in acme/billing-svc: a comment in order-svc's repository may not promote it either.
    const crossApp = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment("/release rollback billing-svc dev"),
    );
    expect(crossApp.body.ignored).toContain("commands for billing-svc are taken only in its own repository");
    // Even `help` is not answered in a repository relbot has nothing to do with.
    const help = await deliver(
      h.relbot.url,
      "issue_comment",
      issueComment("/release help", { repository: "acme/website" }),
    );
    expect(help.body.ignored).toContain("not in acme/website");
    expect(jobCount()).toBe(before);
    expect(h.github.requests).toEqual([]);
    expect(promotionsTo("v1.5.0", "staging")).toHaveLength(0);
  });

  test("a repository listed in github.commandRepos may command any app", async () => {
    const body = issueComment("/release status billing-svc", { repository: "acme/release-ops" });
    const answer = await deliver(h.relbot.url, "issue_comment", body);
    expect(answer.status).toBe(202);
    expect(await settledJob(h.relbot.database.db, answer.body.jobIds[0])).toMatchObject({
      status: "succeeded",
    });
    expect(h.comments.get("acme/release-ops#42")?.[0]?.body).toContain("billing-svc");
  });
});

describe("the commenter's permission", () => {
  test("a read-only collaborator (author_association COLLABORATOR) is refused once GitHub says read", async () => {
    const body = issueComment("/release promote order-svc v1.5.0 to staging", {
      login: "rita",
      association: "COLLABORATOR",
    });
    const answer = await deliver(h.relbot.url, "issue_comment", body);
    expect(answer.status).toBe(202);
    const job = await settledJob(h.relbot.database.db, answer.body.jobIds[0]);
    expect(job).toMatchObject({ status: "succeeded", result: { accepted: false, refused: "permission" } });
    expect(permissionLookups("rita")).toHaveLength(1);
    expect(h.github.requests[0]?.headers.authorization).toBe("token ghs_chatops");
    expect(gitHubWrites(h.github).map(([, written]) => written)).toEqual([
      {
        body: expect.stringMatching(
          /^@rita relbot takes commands only from people with write access to acme\/order-svc \(GitHub says you have read access\)/,
        ),
      },
      { content: "-1" },
    ]);
    expect(promotionsTo("v1.5.0", "staging")).toHaveLength(0);
  });

  test("write (maintain) is enough; the answer is cached: two commands, one API call", async () => {
    for (const text of ["/release status order-svc", "/release history order-svc staging"]) {
      const answer = await deliver(
        h.relbot.url,
        "issue_comment",
        issueComment(text, { login: "carol", association: "MEMBER" }),
      );
      expect(await settledJob(h.relbot.database.db, answer.body.jobIds[0])).toMatchObject({
        status: "succeeded",
        result: { accepted: true },
      });
    }
    expect(permissionLookups("carol")).toHaveLength(1);
  });
});
