// `npm start` (relbot start) on a machine with no config runs the demo and keeps serving; Ctrl-C ends it and
// takes everything down: relbot stops answering and the temporary workspace is gone.

import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { cli, runRelbotCli } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";
import { printedDetail } from "./demo-output.ts";

const cwd = tempDir("relbot-start-cwd-");
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Reads the stream until `marker` has appeared; returns the text so far and a promise of the rest. */
async function readUntil(stream: ReadableStream<Uint8Array>, marker: string) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(marker)) {
    const { done, value } = await reader.read();
    if (done) return { text, rest: Promise.resolve("") };
    text += decoder.decode(value, { stream: true });
  }
  const rest = (async () => {
    let more = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return more;
      more += decoder.decode(value, { stream: true });
    }
  })();
  return { text, rest };
}

test("relbot start without a config runs the demo, serves, and cleans up on Ctrl-C", async () => {
  const child = Bun.spawn([process.execPath, cli, "start", "--port", "0"], {
    cwd,
    env: { ...process.env, RELBOT_CONFIG: "" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  const { text, rest } = await readUntil(child.stdout, "Serving until Ctrl-C.");
  if (!text.includes("Serving until Ctrl-C.")) console.error(text, await stderr);
  expect(text).toContain("no relbot.yaml here, so this is the demo");
  expect(text).toContain("==> [1] Create a workspace");
  expect(text).toContain("==> [9] Where to look");

  const relbotUrl = printedDetail(text, "relbot");
  const workspace = printedDetail(text, "workspace");
  expect((await fetch(`${relbotUrl}/healthz`)).status).toBe(200);
  expect(existsSync(workspace)).toBe(true);

  // The printed promote token is what it says: demo-user, prod's approver, may ask for v1.1.0 in prod.
  const promoted = await fetch(`${relbotUrl}/api/v1/promotions`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${printedDetail(text, "promote token")}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ app: "demo-svc", version: "v1.1.0", env: "prod", reason: "try it" }),
  });
  expect(promoted.status).toBe(202);
  expect(await promoted.json()).toMatchObject({ id: expect.stringMatching(/^prm_/) });

  child.kill("SIGINT");
  expect(await child.exited).toBe(0);
  expect(await rest).toContain("Stopping relbot and the git server");
  expect(existsSync(workspace)).toBe(false);
  await expect(fetch(`${relbotUrl}/healthz`)).rejects.toThrow();
}, 240_000);

test("relbot start with a named config that is missing reports it instead of running the demo", async () => {
  const missing = path.join(cwd, "nope.yaml");
  const result = await runRelbotCli(["start", "--config", missing], {}, { cwd });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`invalid config ${missing}`);
  expect(result.stdout).not.toContain("this is the demo");
});

test("relbot demo refuses a bad --port or an unknown option with its usage, exit 2", async () => {
  for (const args of [
    ["--port", "http"],
    ["--prot", "80"],
  ]) {
    const result = await runRelbotCli(["demo", ...args], {}, { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("usage: relbot demo [options]");
  }
});
