import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { type DashboardRelbot, dashboardTokens, startDashboardRelbot } from "./harness.ts";

// Bound to every interface, so the same relbot can be reached from loopback and, when this machine has one,
// through a real non-loopback address.
let server: DashboardRelbot;
let base: string;
beforeAll(async () => {
  server = await startDashboardRelbot({ hostname: "0.0.0.0" });
  base = server.relbot.url;
});
afterAll(() => server.stop());

// What any reverse proxy adds: the request is then treated as coming from elsewhere, even though the socket is local.
const proxied = { "X-Forwarded-For": "203.0.113.7" };
const browser = { Accept: "text/html,application/xhtml+xml" };

function get(headers: Record<string, string> = {}, path = "/") {
  return fetch(`${base}${path}`, { headers, redirect: "manual" });
}

function signIn(token: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/dashboard/sign-in`, {
    method: "POST",
    headers: { ...proxied, ...browser, Origin: base, ...headers },
    body: new URLSearchParams({ token }),
    redirect: "manual",
  });
}

const sessionFrom = (response: Response) => response.headers.get("set-cookie")?.split(";")[0] ?? "";

describe("loopback", () => {
  test("a request from this machine is served without a token", async () => {
    const response = await get();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/html");
    expect(await response.text()).toContain("<h1>relbot releases</h1>");
  });

  test("Host localhost and [::1] (with the port) are loopback names too", async () => {
    const port = server.relbot.port;
    expect((await get({ Host: `localhost:${port}` })).status).toBe(200);
    expect((await get({ Host: `[::1]:${port}` })).status).toBe(200);
    expect((await get({ Host: "localhost" })).status).toBe(200);
  });

  for (const header of ["X-Forwarded-For", "Forwarded", "X-Real-IP"]) {
    test(`a loopback request carrying ${header} (a proxy in front) needs a token`, async () => {
      const response = await get({ [header]: header === "Forwarded" ? "for=203.0.113.7" : "203.0.113.7" });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
    });
  }

  test("DNS rebinding: Host attacker.example from loopback needs a token", async () => {
    // The browser resolved attacker.example to 127.0.0.1 and sends the attacker's page's own name.
    const rebound = await get({ Host: `attacker.example:${server.relbot.port}` });
    expect(rebound.status).toBe(401);
    expect(await rebound.text()).not.toContain("Environments");
    expect((await get({ Host: "127.0.0.1.attacker.example" })).status).toBe(401);
    expect((await get({ Host: "localhost.attacker.example" })).status).toBe(401);
    // With a read token the same request is served: the Host check only ends the waiver.
    const withToken = { Host: "attacker.example", Authorization: `Bearer ${dashboardTokens.viewer}` };
    expect((await get(withToken)).status).toBe(200);
  });

  // Proxies that add only one of these (and keep Host as the backend's) still make every visitor local.
  for (const [header, value] of [
    ["Via", "1.1 proxy.internal (squid/6.6)"],
    ["X-Forwarded-Host", "relbot.acme.example"],
    ["X-Forwarded-Proto", "https"],
    ["X-Original-Forwarded-For", "203.0.113.7"],
    ["True-Client-IP", "203.0.113.7"],
    ["CF-Connecting-IP", "203.0.113.7"],
  ] as const) {
    test(`a proxied request with ${header} alone needs a token`, async () => {
      expect((await get({ [header]: value })).status).toBe(401);
    });
  }
});

describe("loopback waiver off (the default)", () => {
  test("without server.openDashboardOnLoopback even a plain local request needs a token", async () => {
    const closed = await startDashboardRelbot({ openOnLoopback: false });
    try {
      const url = `${closed.relbot.url}/`;
      expect((await fetch(url)).status).toBe(401);
      const viewer = { Authorization: `Bearer ${dashboardTokens.viewer}` };
      expect((await fetch(url, { headers: viewer })).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});

describe("from elsewhere", () => {
  test("no token: JSON error for scripts, a sign-in form for browsers", async () => {
    const script = await get(proxied);
    expect(script.status).toBe(401);
    expect(await script.json()).toEqual({
      error: { code: "unauthorized", message: "The dashboard needs an API token with the read scope." },
    });

    const page = await get({ ...proxied, ...browser });
    expect(page.status).toBe(401);
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self'");
    const body = await page.text();
    expect(body).toContain('<form class="sign-in" method="post" action="/dashboard/sign-in">');
    expect(body).not.toContain("Environments");
  });

  test("a read token as bearer opens it; a wrong token or one without read does not", async () => {
    expect((await get({ ...proxied, Authorization: `Bearer ${dashboardTokens.viewer}` })).status).toBe(200);
    expect((await get({ ...proxied, Authorization: "Bearer nope" })).status).toBe(401);
    const pusher = await get({ ...proxied, Authorization: `Bearer ${dashboardTokens.pusher}` });
    expect(pusher.status).toBe(403);
    expect(((await pusher.json()) as any).error.message).toContain('"read" scope');
  });

  test("a release's page is behind the same token as the dashboard", async () => {
    const path = "/releases/order-svc/v1.0.0";
    expect((await get(proxied, path)).status).toBe(401);
    expect((await get({ ...proxied, Authorization: `Bearer ${dashboardTokens.pusher}` }, path)).status).toBe(
      403,
    );
    // With the token, relbot answers (here: no record of that release yet).
    expect((await get({ ...proxied, Authorization: `Bearer ${dashboardTokens.viewer}` }, path)).status).toBe(
      404,
    );
  });

  test("a token in the URL is not accepted (it would land in history and logs)", async () => {
    expect((await get(proxied, `/?token=${dashboardTokens.viewer}`)).status).toBe(401);
  });

  test("real non-loopback peer address needs a token", async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (address === undefined) {
      console.warn("skipped: this machine has no non-loopback IPv4 address to connect from");
      return;
    }
    const url = `http://${address}:${server.relbot.port}/`;
    expect((await fetch(url)).status).toBe(401);
    expect(
      (await fetch(url, { headers: { Authorization: `Bearer ${dashboardTokens.viewer}` } })).status,
    ).toBe(200);
  });
});

describe("sign-in cookie", () => {
  test("the form trades a read token for an HttpOnly, SameSite=Strict cookie that opens the dashboard", async () => {
    const response = await signIn(dashboardTokens.viewer);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toStartWith("relbot_token=");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure"); // plain HTTP here: a Secure cookie would never come back

    const page = await get({ ...proxied, ...browser, Cookie: sessionFrom(response) });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("Sign out");
    expect(body).not.toContain(dashboardTokens.viewer);
  });

  test("behind a TLS proxy the cookie is Secure", async () => {
    const response = await signIn(dashboardTokens.viewer, { "X-Forwarded-Proto": "https" });
    expect(response.headers.get("set-cookie")).toContain("Secure");
  });

  test("a wrong token gets the form again, without echoing what was typed", async () => {
    const response = await signIn("typed-wrong-secret");
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    const body = await response.text();
    expect(body).toContain("That API token is not valid.");
    expect(body).not.toContain("typed-wrong-secret");
  });

  test("a token without the read scope is refused at sign-in", async () => {
    const response = await signIn(dashboardTokens.pusher);
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  test("a cookie holding a wrong token is refused and cleared", async () => {
    const response = await get({ ...proxied, ...browser, Cookie: "relbot_token=forged-value" });
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toContain("relbot_token=;");
  });

  test("another site cannot post the sign-in form", async () => {
    const response = await signIn(dashboardTokens.viewer, { Origin: "http://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  test("sign-out clears the cookie", async () => {
    const response = await fetch(`${base}/dashboard/sign-out`, {
      method: "POST",
      headers: { Origin: base, "Content-Type": "application/x-www-form-urlencoded" },
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("set-cookie")).toMatch(/^relbot_token=; Max-Age=0/);
  });

  test("tokens never reach the log", async () => {
    await signIn(dashboardTokens.viewer);
    await signIn("another-wrong-secret");
    await get({ ...proxied, Cookie: `relbot_token=${dashboardTokens.viewer}` });
    // pino writes each line synchronously, before the response is sent: nothing to wait for.
    const log = server.logText();
    expect(log).toContain('"path":"/dashboard/sign-in"');
    expect(log).not.toContain(dashboardTokens.viewer);
    expect(log).not.toContain("another-wrong-secret");
  });
});
