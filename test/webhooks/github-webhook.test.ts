import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { releaseJobKey } from "../../src/jobs/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { deliveries, jobs } from "../../src/store/index.ts";
import {
  deliver,
  fixture,
  readHeaders,
  startWebhookRelbot,
  webhookSecret,
} from "../support/relbot-webhooks.ts";

const tagObject = "5e1f0c3d7a9b2e4f6a8c0d1e3f5a7b9c1d3e5f70";

/** A fixture with some fields replaced, re-serialised as GitHub would send it. */
function variant(name: string, change: (payload: any) => void): string {
  const payload = JSON.parse(fixture(name));
  change(payload);
  return JSON.stringify(payload);
}

describe("POST /webhooks/github", () => {
  let relbot: RunningRelbot;
  beforeAll(async () => {
    relbot = await startWebhookRelbot();
  });
  afterAll(() => relbot.stop());

  const stored = () => ({
    jobs: relbot.database.db.select().from(jobs).all(),
    deliveries: relbot.database.db.select().from(deliveries).all(),
  });

  describe("happy path", () => {
    test("a signed tag push queues one release job, stored with its delivery before the 202", async () => {
      const answer = await deliver(relbot.url, "push", fixture("push-tag"));
      expect(answer.status).toBe(202);
      expect(answer.body.jobIds).toHaveLength(1);
      const jobId = answer.body.jobIds[0];

      const job = stored().jobs.find((j) => j.id === jobId)!;
      expect(job).toMatchObject({
        kind: "release",
        dedupKey: `release:order-svc:v1.4.0:${tagObject}`,
        payload: {
          app: "order-svc",
          tagName: "v1.4.0",
          tagObject,
          deliveryId: answer.deliveryId,
          source: "webhook",
        },
      });
      expect(stored().deliveries.find((d) => d.id === answer.deliveryId)).toMatchObject({
        event: "push",
        jobIds: [jobId],
      });

      const api = await fetch(`${relbot.url}/api/v1/jobs/${jobId}`, { headers: readHeaders });
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject({
        id: jobId,
        kind: "release",
        status: "queued",
        attempts: 0,
        lastError: null,
      });
    });

    test("a tag create event queues a release job without a tag object", async () => {
      const answer = await deliver(
        relbot.url,
        "create",
        variant("create-tag", (p) => (p.ref = "v1.4.1")),
      );
      expect(answer.status).toBe(202);
      const job = stored().jobs.find((j) => j.id === answer.body.jobIds[0])!;
      expect(job.dedupKey).toBe(releaseJobKey("order-svc", "v1.4.1", undefined));
      expect(job.dedupKey).toBe("release:order-svc:v1.4.1:?");
      expect(job.payload).toEqual({
        app: "order-svc",
        tagName: "v1.4.1",
        deliveryId: answer.deliveryId,
        source: "webhook",
      });
    });

    test("a tag of a module in a sub-directory goes to the app with that dir only", async () => {
      const body = variant("push-tag", (p) => (p.ref = "refs/tags/workers/billing/v0.3.0"));
      const answer = await deliver(relbot.url, "push", body);
      expect(answer.status).toBe(202);
      const job = stored().jobs.find((j) => j.id === answer.body.jobIds[0])!;
      expect(job.payload).toMatchObject({ app: "billing-worker", tagName: "workers/billing/v0.3.0" });
    });

    test("the same tag in another delivery is the same job (dedup key), the delivery is recorded", async () => {
      const body = variant("push-tag", (p) => (p.ref = "refs/tags/v1.5.0"));
      const first = await deliver(relbot.url, "push", body);
      const second = await deliver(relbot.url, "push", body);
      expect(second.status).toBe(202);
      expect(second.body.jobIds).toEqual(first.body.jobIds);
      expect(stored().jobs.filter((j) => j.id === first.body.jobIds[0])).toHaveLength(1);
      expect(stored().deliveries.filter((d) => d.id === second.deliveryId)).toHaveLength(1);
    });

    test("ping is answered with a pong", async () => {
      const answer = await deliver(relbot.url, "ping", fixture("ping"));
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ pong: true });
    });
  });

  describe("redelivery", () => {
    test("a repeated X-GitHub-Delivery is answered 200 duplicate and stores nothing new", async () => {
      const body = variant("push-tag", (p) => (p.ref = "refs/tags/v1.6.0"));
      const first = await deliver(relbot.url, "push", body);
      const before = stored();
      // Even with another tag in the body: the delivery id decides.
      const again = await deliver(
        relbot.url,
        "push",
        variant("push-tag", (p) => (p.ref = "refs/tags/v1.7.0")),
        {
          deliveryId: first.deliveryId,
        },
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ duplicate: true, jobIds: first.body.jobIds });
      expect(stored()).toEqual(before);
    });
  });

  describe("ignored events", () => {
    test.each([
      [
        "a repository relbot does not know",
        "push",
        variant("push-tag", (p) => {
          p.repository.full_name = "acme/payments";
          p.repository.clone_url = "https://github.com/acme/payments.git";
          p.repository.html_url = "https://github.com/acme/payments";
          p.repository.ssh_url = "git@github.com:acme/payments.git";
        }),
        /repository acme\/payments is not configured/,
      ],
      ["a deleted tag", "push", fixture("push-tag-deleted"), /tag v1.4.0 was deleted/],
      ["a branch push", "push", fixture("push-branch"), /not a tag push \(refs\/heads\/main\)/],
      [
        "a tag of no configured module",
        "push",
        variant("push-tag", (p) => (p.ref = "refs/tags/tools/v1.0.0")),
        /not a release tag of acme\/order-svc/,
      ],
      [
        "a branch create",
        "create",
        variant("create-tag", (p) => {
          p.ref = "feature/cancel";
          p.ref_type = "branch";
        }),
        /a branch was created/,
      ],
      [
        "an event relbot does not act on",
        "star",
        JSON.stringify({ action: "created", starred_at: "2025-01-14T09:00:00Z", repository: {}, sender: {} }),
        /does not act on "star"/,
      ],
      [
        "a comment without comment commands enabled",
        "issue_comment",
        JSON.stringify({ action: "created", issue: {}, comment: { body: "/release status order-svc" } }),
        /not enabled/,
      ],
    ])("%s: 202 ignored, nothing stored", async (_name, event, body, why) => {
      const before = stored();
      const answer = await deliver(relbot.url, event, body);
      expect(answer.status).toBe(202);
      expect(answer.body.ignored).toMatch(why);
      expect(stored()).toEqual(before);
    });
  });

  describe("refused deliveries", () => {
    test("a wrong signature is 401 and stores nothing", async () => {
      const before = stored();
      const answer = await deliver(relbot.url, "push", fixture("push-tag"), { secret: "not the secret" });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe("signature_mismatch");
      expect(answer.body.error.message).toContain("$GITHUB_WEBHOOK_SECRET");
      expect(answer.body.error.message).not.toContain(webhookSecret);
      expect(stored()).toEqual(before);
    });

    test("a body changed after signing is 401", async () => {
      const { sign } = await import("@octokit/webhooks-methods");
      const signature = await sign(webhookSecret, fixture("push-tag"));
      const tampered = variant("push-tag", (p) => (p.ref = "refs/tags/v9.9.9"));
      const answer = await deliver(relbot.url, "push", tampered, { signature });
      expect(answer.status).toBe(401);
    });

    test("a sha1-only or missing signature is 401", async () => {
      const before = stored();
      const none = await deliver(relbot.url, "push", fixture("push-tag"), { secret: null });
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe("signature_missing");
      const sha1 = await deliver(relbot.url, "push", fixture("push-tag"), {
        signature: "sha1=82474c4fdedd8c2d2e6802db3e49f4afd96b3eab",
      });
      expect(sha1.status).toBe(401);
      expect(stored()).toEqual(before);
    });

    test("malformed JSON, correctly signed, is 400", async () => {
      const answer = await deliver(relbot.url, "push", '{"ref": "refs/tags/v1.0.0",');
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("invalid_json");
    });

    test("JSON that is not a push payload is 400 naming the missing fields", async () => {
      const answer = await deliver(relbot.url, "push", JSON.stringify({ ref: "refs/tags/v1.0.0" }));
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("invalid_payload");
      expect(answer.body.error.message).toContain("repository");
    });

    test("a form-encoded webhook is told to switch to application/json", async () => {
      const body = `payload=${encodeURIComponent(fixture("ping"))}`;
      const answer = await deliver(relbot.url, "ping", body, {
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      expect(answer.status).toBe(415);
      expect(answer.body.error.message).toContain("application/json");
    });

    test("a body over 1 MiB is 413 and stores nothing", async () => {
      const before = stored();
      const huge = variant("push-tag", (p) => (p.head_commit.message = "x".repeat(1024 * 1024)));
      const answer = await deliver(relbot.url, "push", huge);
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe("payload_too_large");
      expect(stored()).toEqual(before);
    });

    test("missing event or delivery headers are 400", async () => {
      const answer = await deliver(relbot.url, "push", fixture("push-tag"), {
        headers: { "X-GitHub-Delivery": "" },
      });
      expect(answer.status).toBe(400);
    });
  });

  test("an unknown job id is 404 in the JSON error shape", async () => {
    const response = await fetch(`${relbot.url}/api/v1/jobs/job_nope`, { headers: readHeaders });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "job_not_found", message: "no job job_nope" } });
  });
});

describe("webhook secret not configured", () => {
  test.each([
    [
      "no github.webhookSecretEnv in the config",
      { apiUrl: "http://127.0.0.1:9" },
      { GITHUB_WEBHOOK_SECRET: webhookSecret },
      /github\.webhookSecretEnv is not set/,
    ],
    [
      "the named environment variable is empty",
      { webhookSecretEnv: "GITHUB_WEBHOOK_SECRET" },
      {},
      /GITHUB_WEBHOOK_SECRET .* is empty/,
    ],
  ])("%s: every delivery is refused, signed or not", async (_name, github, env, why) => {
    const relbot = await startWebhookRelbot({ github, env });
    try {
      for (const secret of [webhookSecret, null]) {
        const answer = await deliver(relbot.url, "push", fixture("push-tag"), { secret });
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe("webhook_secret_missing");
        expect(answer.body.error.message).toMatch(why);
      }
      expect(relbot.database.db.select().from(jobs).all()).toHaveLength(0);
      expect(relbot.database.db.select().from(deliveries).all()).toHaveLength(0);
    } finally {
      await relbot.stop();
    }
  });
});
