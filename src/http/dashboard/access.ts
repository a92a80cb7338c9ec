import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import type { RelbotApp } from "../app.ts";
import { bearerToken, type TokenRegistry } from "../auth.ts";
import { errorBody } from "../errors.ts";
import { isLocalRequest } from "./loopback.ts";
import { dashboardPath, signInPath, signOutPath } from "./paths.ts";
import { signInPage } from "./sign-in-page.ts";

/** Holds the API token itself: it is checked against the registry on every request, so revoking a token ends it. */
export const sessionCookie = "relbot_token";

// Long enough for a working day in front of the dashboard, short enough that a forgotten browser does not stay in.
const sessionSeconds = 12 * 60 * 60;

type Refusal = { status: 401 | 403; code: "unauthorized" | "forbidden"; message: string };

function refuse(c: Context, refusal: Refusal): Response {
  if (refusal.status === 401) c.header("WWW-Authenticate", 'Bearer realm="relbot"');
  // A browser gets the sign-in form; curl and scripts get the API's JSON error shape.
  if ((c.req.header("accept") ?? "").includes("text/html")) {
    c.header("Content-Security-Policy", signInPage.contentSecurityPolicy);
    return c.html(signInPage.render(refusal.message), refusal.status);
  }
  return c.json(errorBody(refusal.code, refusal.message), refusal.status);
}

function check(tokens: TokenRegistry, presented: string | undefined): Refusal | undefined {
  if (presented === undefined || presented === "") {
    return {
      status: 401,
      code: "unauthorized",
      message: "The dashboard needs an API token with the read scope.",
    };
  }
  const token = tokens.identify(presented);
  if (!token) return { status: 401, code: "unauthorized", message: "That API token is not valid." };
  if (!token.scopes.includes("read")) {
    return {
      status: 403,
      code: "forbidden",
      message: `API token "${token.name}" does not have the "read" scope.`,
    };
  }
  return undefined;
}

/**
 * A read token, as `Authorization: Bearer` or as the session cookie the sign-in form sets; with `openOnLoopback`
 * (config `server.openDashboardOnLoopback`) a request from a browser on this machine is served without one.
 * Tokens are never taken from the URL: a URL ends up in browser history, proxy logs and Referer headers.
 */
export function requireDashboardAccess(
  tokens: TokenRegistry,
  options: { openOnLoopback: boolean },
): MiddlewareHandler {
  return async (c, next) => {
    if (options.openOnLoopback && isLocalRequest(c)) return next();
    const fromHeader = bearerToken(c.req.header("authorization"));
    const fromCookie = fromHeader === undefined ? getCookie(c, sessionCookie) : undefined;
    const refusal = check(tokens, fromHeader ?? fromCookie);
    if (refusal) {
      if (fromCookie !== undefined) deleteCookie(c, sessionCookie, { path: "/" });
      return refuse(c, refusal);
    }
    await next();
  };
}

/** POST sign-in (form field `token`) sets the session cookie; POST sign-out clears it. */
export function registerDashboardSession(app: RelbotApp, tokens: TokenRegistry): void {
  // Same-origin form posts only (Origin or Sec-Fetch-Site), so another site cannot sign a browser in as itself.
  app.use(signInPath, csrf());
  app.use(signOutPath, csrf());

  app.post(signInPath, async (c) => {
    const form = await c.req.parseBody();
    const presented = typeof form.token === "string" ? form.token.trim() : undefined;
    const refusal = check(tokens, presented);
    if (refusal) return refuse(c, refusal);
    setCookie(c, sessionCookie, presented!, {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      maxAge: sessionSeconds,
      // Behind a TLS-terminating proxy the socket is plain HTTP but the browser's page is not.
      secure: new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https",
    });
    return c.redirect(dashboardPath, 303);
  });

  app.post(signOutPath, (c) => {
    deleteCookie(c, sessionCookie, { path: "/" });
    return c.redirect(dashboardPath, 303);
  });
}
