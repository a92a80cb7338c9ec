// POST /api/v1/promotions on the running service: the same rules as chat, the token's name as the actor.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { count } from "drizzle-orm";
import { auditEvents, jobs, promotions } from "../../../src/store/index.ts";
import { seedRelease } from "../../support/promotion-fixtures.ts";
import {
  auditEventsOf,
  type ChatopsHarness,
  promotionById,
  promotionJobOf,
  seedSucceeded,
  startChatopsRelbot,
  tokens,
} from "../../support/relbot-chatops.ts";

let h: ChatopsHarness;
beforeAll(async () => {
  h = await startChatopsRelbot();
  for (const v of ["v1.0.0", "v1.1.0"]) {
    seedRelease(h.relbot.database.db, { app: "order-svc", version: v });
    seedSucceeded(h.relbot, "order-svc", "dev", v);
  }
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.0.0");
  seedSucceeded(h.relbot, "order-svc", "staging", "v1.1.0");
});
afterAll(() => h.stop());

function post(body: unknown, options: { token?: string | null; raw?: string; type?: string } = {}) {
  const token = options.token === undefined ? tokens.deployer : options.token;
  return fetch(`${h.relbot.url}/api/v1/promotions`, {
    method: "POST",
    headers: {
      "Content-Type": options.type ?? "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: options.raw ?? JSON.stringify(body),
  });
}

/** Rows that a refused or invalid request must not add to: promotions, jobs, audit events. */
function recorded() {
  const { db } = h.relbot.database;
  return [promotions, jobs, auditEvents].map((table) => db.select({ n: count() }).from(table).get()!.n);
}

describe("POST /api/v1/promotions", () => {
  test("202: queued with its id and job, recorded with the token's name as the actor", async () => {
    const response = await post({ app: "order-svc", version: "v1.1.0", env: "staging", reason: "CHG-1234" });
    expect(response.status).toBe(202);
    const body = (await response.json()) as any;
    // Read before matching: bun's toMatchObject writes asymmetric matchers' results into the object it checks.
    const { id, jobId } = body;
    expect(id).toMatch(/^prm_/);
    expect(jobId).toMatch(/^job_/);
    expect(body).toMatchObject({
      status: "queued",
      promotion: {
        id,
        app: "order-svc",
        env: "staging",
        toVersion: "v1.1.0",
        actor: "deployer",
        source: "api",
      },
    });
    expect(promotionById(h.relbot, id)).toMatchObject({ status: "queued", reason: "CHG-1234" });
    expect(promotionJobOf(h.relbot, id)?.id).toBe(jobId);
    expect(auditEventsOf(h.relbot, id, "promotion.requested")[0]).toMatchObject({ actor: "deployer" });
  });

  test("409: a refusal carries the reason and the denied promotion, which is recorded with its audit event", async () => {
    const response = await post({ app: "order-svc", version: "v1.1.0", env: "prod" });
    expect(response.status).toBe(409);
    const body = (await response.json()) as any;
    const id = body.promotion.id;
    expect(body).toEqual({
      error: {
        code: "not_approver",
        message: "deployer may not promote into prod; its approvers are alice, @acme/sre.",
      },
      promotion: expect.objectContaining({ status: "denied", actor: "deployer", source: "api", env: "prod" }),
    });
    expect(promotionById(h.relbot, id)?.status).toBe("denied");
    expect(auditEventsOf(h.relbot, id, "promotion.denied")[0]?.payload).toMatchObject({
      code: "not_approver",
    });
    expect(promotionJobOf(h.relbot, id)).toBeUndefined();
  });

  test("a rollback: version optional, the previous version is taken", async () => {
    const response = await post({ app: "order-svc", env: "dev", rollback: true, reason: "bad build" });
    expect(response.status).toBe(202);
    expect(((await response.json()) as any).promotion).toMatchObject({
      kind: "rollback",
      fromVersion: "v1.1.0",
      toVersion: "v1.0.0",
    });
  });

  test("401 without a token or with a wrong one, 403 with a read-only token; nothing recorded", async () => {
    const before = recorded();
    const body = { app: "order-svc", version: "v1.1.0", env: "staging" };
    expect((await post(body, { token: null })).status).toBe(401);
    expect((await post(body, { token: "not-a-token" })).status).toBe(401);
    const forbidden = await post(body, { token: tokens.auditor });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({
      error: { code: "forbidden", message: 'API token "auditor" does not have the "promote" scope' },
    });
    expect(recorded()).toEqual(before);
  });

  test("422 names the unknown app (with a suggestion), environment or version; nothing recorded", async () => {
    const before = recorded();
    const unknownApp = await post({ app: "order-sv", version: "v1.1.0", env: "staging" });
    expect(unknownApp.status).toBe(422);
    expect(await unknownApp.json()).toEqual({
      error: { code: "unknown_app", message: "unknown app `order-sv`; did you mean `order-svc`?" },
    });
    const unknownEnv = await post({ app: "order-svc", version: "v1.1.0", env: "qa" });
    expect(((await unknownEnv.json()) as any).error.code).toBe("unknown_env");
    const badVersion = await post({ app: "order-svc", version: "1.1", env: "staging" });
    expect(badVersion.status).toBe(422);
    expect(((await badVersion.json()) as any).error).toEqual({
      code: "invalid_version",
      message: "`1.1` is not a Go release version like v1.4.0 or v1.4.0-rc.1",
    });
    expect(recorded()).toEqual(before);
  });

  test.each([
    ["no env", { app: "order-svc", version: "v1.1.0" }, "env: "],
    [
      "promote without a version",
      { app: "order-svc", env: "staging" },
      "version: is required unless rollback is true",
    ],
    [
      "an unknown field",
      { app: "order-svc", version: "v1.1.0", env: "staging", enviroment: "x" },
      "enviroment",
    ],
    ["a number for the app", { app: 7, version: "v1.1.0", env: "staging" }, "app: "],
  ])("400 for %s, naming the field", async (_name, body, problem) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as any;
    expect(json.error.code).toBe("invalid_request");
    expect(json.error.message).toContain(problem);
  });

  test("400 for a body that is not JSON", async () => {
    const response = await post(null, { raw: '{"app": "order-svc",' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "invalid_request", message: "Malformed JSON in request body" },
    });
  });

  test("is in the OpenAPI document, behind the bearer scheme", async () => {
    const doc = (await (await fetch(`${h.relbot.url}/openapi.json`)).json()) as any;
    const operation = doc.paths["/api/v1/promotions"].post;
    expect(operation.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(operation.responses).sort()).toEqual(["202", "400", "401", "403", "409", "422"]);
    expect(operation.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/PromotionRequest",
    );
  });
});
