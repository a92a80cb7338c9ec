import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ArgocdClient, ArgocdError } from "../../src/argocd/client.ts";
import {
  type ArgocdStandIn,
  argocdApplication,
  assertArgocdShape,
  startArgocdApi,
  syncedTo,
} from "../support/argocd-api.ts";

const repo = "https://github.com/acme/order-svc.git";
const commit = "a".repeat(40);
let argocd: ArgocdStandIn;
let client: ArgocdClient;

beforeAll(async () => {
  argocd = await startArgocdApi();
  client = new ArgocdClient({ url: `${argocd.url}/`, token: argocd.token, requestTimeoutMs: 300 });
  for (const shape of ["source", "sources", "hydrator"] as const) {
    const app = argocdApplication({ name: `order-svc-${shape}`, namespace: "team-a", repoURL: repo, shape });
    syncedTo(app, commit, "Healthy", { phase: "Succeeded" });
    argocd.setApplication(app);
  }
});
afterAll(() => argocd.close());

async function failure(promise: Promise<unknown>): Promise<ArgocdError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ArgocdError) return error;
    throw error;
  }
  throw new Error("expected an ArgocdError");
}

describe("the stand-in answers in Argo CD's published shapes", () => {
  test("a stored Application of each shape validates; a wrong shape is refused", () => {
    const wrong = argocdApplication({ name: "x", repoURL: repo });
    (wrong.status as Record<string, unknown>).sync = { status: "Synced", revisions: "not-a-list" };
    expect(() => argocd.setApplication(wrong)).toThrow(/v1alpha1Application/);
    const typo = argocdApplication({ name: "y", repoURL: repo });
    (typo.status as Record<string, unknown>).healthStatus = "Healthy";
    expect(() => argocd.setApplication(typo)).toThrow(/additional properties/);
    expect(() => assertArgocdShape("runtimeError", { error: "x", code: "7" })).toThrow();
  });
});

describe("ArgocdClient", () => {
  test("reads an Application with the bearer token and its app namespace", async () => {
    const app = await client.getApplication({ name: "order-svc-sources", namespace: "team-a" });
    expect(app.status?.sync?.revisions?.[1]).toBe(commit);
    const last = argocd.requests.at(-1)!;
    expect(last.path).toBe("/api/v1/applications/order-svc-sources");
    expect(last.query.get("appNamespace")).toBe("team-a");
    expect(last.authorization).toBe(`Bearer ${argocd.token}`);
    expect(await client.whoAmI()).toBe("relbot");
  });

  test("a missing Application is 403 from Argo CD, and the message says both causes", async () => {
    const error = await failure(client.getApplication({ name: "nope", namespace: "team-a" }));
    expect(error.code).toBe("argocd.forbidden");
    expect(error.outage).toBe(false);
    expect(error.message).toContain("does not exist under that name and namespace");
    expect(error.message).toContain("applications, get");
  });

  test("a wrong token is 401, for the Application and for userinfo", async () => {
    const wrong = new ArgocdClient({ url: argocd.url, token: "stale" });
    const error = await failure(wrong.getApplication({ name: "order-svc-source", namespace: "team-a" }));
    expect(error.code).toBe("argocd.unauthorized");
    expect(error.message).toContain("token signature is invalid");
    expect((await failure(wrong.whoAmI())).code).toBe("argocd.unauthorized");
  });

  test.each([
    [{ status: 404, message: "Not Found" }, "argocd.not_found", false],
    [{ status: 503, message: "upstream connect error" }, "argocd.unavailable", true],
    [{ status: 500 }, "argocd.unavailable", true],
    ["html", "argocd.invalid_answer", true],
    ["hang", "argocd.timeout", true],
  ] as const)("failure %p -> %s", async (mode, code, outage) => {
    argocd.failWith(mode);
    try {
      const error = await failure(client.getApplication({ name: "order-svc-source", namespace: "team-a" }));
      expect(error.code).toBe(code);
      expect(error.outage).toBe(outage);
    } finally {
      argocd.failWith(undefined);
    }
  });

  test("an unreachable server and an oversized answer", async () => {
    const closed = await startArgocdApi();
    const url = closed.url;
    await closed.close();
    const unreachable = await failure(new ArgocdClient({ url, token: "t" }).getApplication({ name: "a" }));
    expect(unreachable.code).toBe("argocd.unreachable");
    expect(unreachable.outage).toBe(true);
    const small = new ArgocdClient({ url: argocd.url, token: argocd.token, maxAnswerBytes: 100 });
    const big = await failure(small.getApplication({ name: "order-svc-source", namespace: "team-a" }));
    expect(big.code).toBe("argocd.invalid_answer");
    expect(big.message).toContain("over 100 bytes");
  });
});
