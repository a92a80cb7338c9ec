// An SBOM published as a GitHub release asset is downloaded on the main thread (where the GitHub client is) and
// judged on the worker thread: its JSON parse and digest do not run on the thread that answers requests.
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { threadId } from "node:worker_threads";
import pino from "pino";
import { loadConfig } from "../../src/config/index.ts";
import type { FoundSbom } from "../../src/sbom/index.ts";
import { type ThreadedCheckWork, threadedCheckWork } from "../../src/workers/index.ts";
import { offlineApp, unreachableGitops, writeTestConfig } from "../support/relbot-config.ts";
import { tempDir } from "../support/temp-dir.ts";

const spdx = new Uint8Array(readFileSync(path.join(import.meta.dir, "../fixtures/sbom/order-svc.spdx.json")));
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});
let found: FoundSbom = { kind: "found", where: "asset:svc_v1.0.0.spdx.json", bytes: spdx };
const configFile = writeTestConfig({
  gitopsUrl: unreachableGitops,
  files: { allowed_signers: "" },
  apps: { svc: { ...offlineApp("svc"), sbom: { asset: "*.spdx.json", required: true } } },
});
const work: ThreadedCheckWork = threadedCheckWork({
  config: loadConfig({ file: configFile, env: {} }).config,
  cacheDir: tempDir("relbot-sources-"),
  credential: undefined,
  logger: pino({ level: "debug" }, sink),
  onMain: { findSbom: async () => found },
});
afterAll(() => work.stop());

test("a release asset's SBOM is parsed and digested on the worker thread", async () => {
  const request = { app: "svc", tagName: "v1.0.0", commit: "a".repeat(40) };
  expect(await work.fetchSbom(request)).toMatchObject({
    ok: true,
    sbom: {
      digest: `sha256:${createHash("sha256").update(spdx).digest("hex")}`,
      format: "spdx",
      source: "asset:svc_v1.0.0.spdx.json",
    },
  });
  const judged = lines.find((l) => l.msg === "thread task done" && l.task === "judgeSbom");
  expect(judged?.thread).toBe(work.thread.threadId);
  expect(judged?.thread).not.toBe(threadId);

  found = { kind: "none", why: "release v1.0.0 has no asset matching" };
  expect(await work.fetchSbom(request)).toMatchObject({ ok: false, code: "sbom_missing" });
  found = { kind: "found", where: "asset:broken.spdx.json", bytes: new TextEncoder().encode("<xml/>") };
  expect(await work.fetchSbom(request)).toMatchObject({ ok: false, code: "sbom_invalid" });
});
