import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import pino from "pino";
import { loadConfig } from "../../src/config/index.ts";
import { type RunningRelbot, startRelbot } from "../../src/main.ts";
import { writeTestConfig } from "../support/relbot-config.ts";

describe("HTTP skeleton", () => {
  let relbot: RunningRelbot;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const file = writeTestConfig({
      gitopsUrl: "http://127.0.0.1:9/gitops.git",
      signers: { team: { ssh: "allowed_signers" } },
      files: { allowed_signers: "" },
      apps: {
        "order-svc": {
          repo: "http://127.0.0.1:9/order-svc.git",
          module: "example.com/order-svc",
          signers: "team",
          environments: [{ name: "dev", file: "envs/dev.yaml", auto: true }],
        },
      },
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).trim().split("\n")) logLines.push(JSON.parse(line));
        done();
      },
    });
    relbot = await startRelbot({
      loaded: loadConfig({ file, env: {} }),
      logger: pino(sink),
      port: 0,
      hostname: "127.0.0.1",
    });
  });
  afterAll(() => relbot.stop());

  test("liveness answers; readiness checks the database and the GitOps repository (here unreachable)", async () => {
    const health = await fetch(`${relbot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${relbot.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as any;
    expect(body.status).toBe("not ready");
    expect(body.checks[0]).toEqual({ name: "database", ok: true });
    expect(body.checks[1]).toEqual({ name: "gitops", ok: false, error: "unreachable" });
  });

  test("/readyz names no internal host or port to an anonymous caller; the log has the detail (topology leak)", async () => {
    const ready = await fetch(`${relbot.url}/readyz`);
    const text = await ready.text();
    expect(ready.status).toBe(503);
    // The GitOps URL is http://127.0.0.1:9/gitops.git: neither its host, its port nor its path shows.
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toMatch(/:9\b|gitops\.git|ECONNREFUSED|connect/i);
    expect(JSON.parse(text).checks).toContainEqual({ name: "gitops", ok: false, error: "unreachable" });
    const logged = logLines.filter((line) => line.check === "gitops");
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged.at(-1))).toContain("127.0.0.1:9");
  });

  test("unknown routes get the JSON error shape", async () => {
    const response = await fetch(`${relbot.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nope" },
    });
  });

  test("a body over 1 MiB is refused with 413 before it is read", async () => {
    const response = await fetch(`${relbot.url}/healthz`, {
      method: "POST",
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("payload_too_large");
  });

  test("each request gets an id and exactly one log line", async () => {
    const response = await fetch(`${relbot.url}/healthz`, {
      headers: { Authorization: "Bearer do-not-log-me" },
    });
    const id = response.headers.get("x-request-id");
    expect(id).toBeTruthy();
    // pino writes each line synchronously, before the response is sent: nothing to wait for.
    const lines = logLines.filter((l) => l.httpRequestId === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "request", method: "GET", path: "/healthz", status: 200 });
    expect(JSON.stringify(logLines)).not.toContain("do-not-log-me");
  });
});
