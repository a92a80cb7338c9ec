// From a delivery to a finished job through the real server, queue and worker; the issue-comment hook;
// and what stop() does to a job that is running when relbot shuts down.

import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { enqueueJob, type ReleaseJobPayload, releaseJob } from "../../src/jobs/index.ts";
import type { RunningRelbot } from "../../src/main.ts";
import { deliveries, jobs, openDatabase } from "../../src/store/index.ts";
import { eventually, gate } from "../support/eventually.ts";
import { deliver, fixture, readHeaders, startWebhookRelbot } from "../support/relbot-webhooks.ts";

async function jobState(url: string, id: string): Promise<any> {
  return (await fetch(`${url}/api/v1/jobs/${id}`, { headers: readHeaders })).json();
}

describe("delivery to finished job", () => {
  let relbot: (RunningRelbot & { dbFile: string }) | undefined;
  afterEach(async () => {
    await relbot?.stop();
    relbot = undefined;
  });

  test("the worker is woken by the delivery and runs the release job; the API shows the result", async () => {
    relbot = await startWebhookRelbot({ worker: { pollMs: 600_000 } });
    const seen: ReleaseJobPayload[] = [];
    relbot.worker.register(releaseJob, async (payload) => {
      seen.push(payload);
      return { status: "verified", version: "v1.4.0" };
    });
    const answer = await deliver(relbot.url, "push", fixture("push-tag"));
    expect(answer.status).toBe(202);
    const [id] = answer.body.jobIds;

    // With a 10-minute poll, only the wake-up after enqueue can have run it; wait for that, not for a duration.
    const state = await eventually(`job ${id} to succeed`, async () => {
      const job = await jobState(relbot!.url, id);
      return job.status === "succeeded" && job;
    });
    expect(state).toMatchObject({
      attempts: 1,
      lastError: null,
      result: { status: "verified", version: "v1.4.0" },
    });
    expect(seen).toEqual([
      {
        app: "order-svc",
        tagName: "v1.4.0",
        tagObject: "5e1f0c3d7a9b2e4f6a8c0d1e3f5a7b9c1d3e5f70",
        deliveryId: answer.deliveryId,
        source: "webhook",
      },
    ]);
    const counted = await relbot.metrics.registry.metrics();
    expect(counted).toContain('relbot_webhook_deliveries_total{event="push",outcome="accepted"} 1');
    expect(counted).toContain('relbot_job_attempts_total{kind="release",outcome="succeeded"} 1');
  });

  test("issue comments go to the pluggable hook; its jobs are recorded with the delivery", async () => {
    const calls: string[] = [];
    relbot = await startWebhookRelbot({
      onIssueComment: async (payload: any, deliveryId) => {
        calls.push(deliveryId);
        if (!String(payload.comment.body).startsWith("/release"))
          return { ignored: "not a /release command" };
        const job = enqueueJob(
          relbot!.database.db,
          {
            kind: "chat-command",
            payload: { text: payload.comment.body },
            dedupKey: `github-comment:${deliveryId}`,
          },
          Date.now(),
        );
        return { jobIds: [job.id] };
      },
    });
    const comment = (body: string) =>
      JSON.stringify({
        action: "created",
        issue: { number: 7 },
        comment: { id: 1, body },
        repository: {},
        sender: {},
      });

    const command = await deliver(
      relbot.url,
      "issue_comment",
      comment("/release promote order-svc v1.4.0 to staging"),
    );
    expect(command.status).toBe(202);
    expect(command.body.jobIds).toHaveLength(1);
    const recorded = relbot.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.id, command.deliveryId))
      .get();
    expect(recorded).toMatchObject({ event: "issue_comment", jobIds: command.body.jobIds });

    const again = await deliver(
      relbot.url,
      "issue_comment",
      comment("/release promote order-svc v1.4.0 to staging"),
      {
        deliveryId: command.deliveryId,
      },
    );
    expect(again.body).toEqual({ duplicate: true, jobIds: command.body.jobIds });

    const chatter = await deliver(relbot.url, "issue_comment", comment("LGTM"));
    expect(chatter).toMatchObject({ status: 202, body: { ignored: "not a /release command" } });
    expect(calls).toEqual([command.deliveryId, chatter.deliveryId]);
  });
});

describe("graceful stop", () => {
  test("a running job finishes before the database closes, and no further job is taken", async () => {
    const relbot = await startWebhookRelbot({ worker: { stopTimeoutMs: 60_000 } });
    const started = gate();
    const finish = gate();
    let calls = 0;
    relbot.worker.register(releaseJob, async () => {
      calls++;
      started.open();
      await finish.opened;
      return "verified";
    });
    const first = await deliver(relbot.url, "push", fixture("push-tag"));
    await started.opened;
    const second = await deliver(relbot.url, "create", fixture("create-tag"));
    expect(second.status).toBe(202);

    const stopping = relbot.stop();
    finish.open();
    await stopping;
    expect(calls).toBe(1);

    const reopened = await openDatabase(relbot.dbFile);
    try {
      const row = (id: string) => reopened.db.select().from(jobs).where(eq(jobs.id, id)).get()!;
      expect(row(first.body.jobIds[0])).toMatchObject({ status: "succeeded", result: "verified" });
      expect(row(second.body.jobIds[0])).toMatchObject({ status: "queued", attempts: 0 });
    } finally {
      reopened.close();
    }
  });

  test("a job that does not finish in time is handed back and runs again after a restart", async () => {
    const relbot = await startWebhookRelbot({ worker: { stopTimeoutMs: 20 } });
    const started = gate();
    relbot.worker.register(releaseJob, (_payload, _job, { signal }) => {
      started.open();
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const answer = await deliver(relbot.url, "push", fixture("push-tag"));
    await started.opened;
    await relbot.stop();

    const reopened = await openDatabase(relbot.dbFile);
    try {
      const row = reopened.db.select().from(jobs).where(eq(jobs.id, answer.body.jobIds[0])).get();
      expect(row).toMatchObject({ status: "queued", attempts: 0, leaseOwner: null });
    } finally {
      reopened.close();
    }
  });
});
