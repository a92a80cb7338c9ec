import { expect, test } from "bun:test";
import { DemoTimeoutError, waitFor } from "../../src/demo/poll.ts";

test("waitFor returns what it waited for once it is there", async () => {
  let calls = 0;
  const value = await waitFor(
    "the third look",
    async () => (++calls === 3 ? { done: "here" } : { pending: `look ${calls}` }),
    { timeoutMs: 60_000, intervalMs: 1 },
  );
  expect(value).toBe("here");
  expect(calls).toBe(3);
});

test("a wait that runs out names what it waited for and what it last saw", async () => {
  const waiting = waitFor("job_1", async () => ({ pending: "release job queued, 0 attempt(s)" }), {
    timeoutMs: 20,
    intervalMs: 5,
  });
  await expect(waiting).rejects.toThrow(DemoTimeoutError);
  await expect(waiting).rejects.toThrow(
    "timed out after 20 ms waiting for job_1 (last seen: release job queued, 0 attempt(s))",
  );
});

test("a failure seen while waiting ends the wait with that failure", async () => {
  const waiting = waitFor(
    "a promotion",
    async () => {
      throw new Error("the promotion of demo-svc v1.1.0 into staging failed: gitops.conflict");
    },
    { timeoutMs: 60_000 },
  );
  await expect(waiting).rejects.toThrow("gitops.conflict");
});
