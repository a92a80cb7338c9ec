import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { ApiTokenSecret } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { errorResponse } from "./errors.ts";

export type Scope = "read" | "promote";

/** What an authenticated request carries: the token's name is the actor recorded in promotions and audit events. */
export interface AuthVariables {
  actor: string;
  scopes: readonly Scope[];
}

/** The hono env of a route guarded by `requireScope`: `c.get("actor")` is typed there. */
export type AuthEnv = { Variables: AuthVariables };

export interface ApiToken {
  name: string;
  /** The bearer secret itself, read from the environment once at start-up. */
  secret: string;
  scopes: readonly Scope[];
}

export type RequireScope = (scope: Scope) => MiddlewareHandler<AuthEnv>;

interface StoredToken {
  name: string;
  scopes: readonly Scope[];
  digest: Buffer;
}

const sha256 = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * The API's bearer tokens. Only sha256 digests are kept, and every lookup compares the presented token's digest with
 * every stored digest using timingSafeEqual: equal-length digests leak neither the secret's length nor how much of a
 * guess was right, and visiting all tokens leaks nothing about which one matched.
 */
export class TokenRegistry {
  readonly #tokens: StoredToken[];

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens.map((t) => ({ name: t.name, scopes: [...t.scopes], digest: sha256(t.secret) }));
  }

  /**
   * The configured tokens with their secrets resolved at load (`loaded.secrets.apiTokens`). A token whose variable
   * is unset is left out (nobody can use it) and named in a warning; `relbot check` reports it as a problem.
   */
  static fromSecrets(configured: readonly ApiTokenSecret[], logger?: Logger): TokenRegistry {
    const tokens: ApiToken[] = [];
    for (const token of configured) {
      const secret = token.secret;
      if (secret === undefined) {
        logger?.warn(
          { token: token.name, tokenEnv: token.tokenEnv },
          "API token disabled: its environment variable is not set",
        );
        continue;
      }
      tokens.push({ name: token.name, secret, scopes: token.scopes });
    }
    return new TokenRegistry(tokens);
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The token whose secret equals `presented`, or undefined. */
  identify(presented: string): { name: string; scopes: readonly Scope[] } | undefined {
    const digest = sha256(presented);
    let found: StoredToken | undefined;
    for (const token of this.#tokens) {
      if (timingSafeEqual(token.digest, digest) && found === undefined) found = token;
    }
    return found && { name: found.name, scopes: found.scopes };
  }
}

/** `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function unauthorized(c: Context, message: string, invalidToken: boolean): Response {
  // RFC 6750 §3: a request without credentials gets the bare challenge, a bad token gets error="invalid_token".
  const challenge = invalidToken ? 'Bearer realm="relbot", error="invalid_token"' : 'Bearer realm="relbot"';
  return errorResponse(c, "unauthorized", message, { "WWW-Authenticate": challenge });
}

/**
 * Builds the `requireScope(scope)` middleware factory routes use: 401 without a valid bearer token,
 * 403 when the token lacks the scope, otherwise the token's name becomes `c.get("actor")`.
 * In a zod-openapi route write `middleware: [requireScope("promote")] as const`: the tuple type is what lets
 * the handler see `actor` typed (a plain array widens the env away).
 */
export function createRequireScope(registry: TokenRegistry): RequireScope {
  return (scope) => async (c, next) => {
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === undefined) {
      return unauthorized(c, "this endpoint needs an API token: send Authorization: Bearer <token>", false);
    }
    const token = registry.identify(presented);
    if (!token) return unauthorized(c, "the API token is not valid", true);
    if (!token.scopes.includes(scope)) {
      return errorResponse(c, "forbidden", `API token "${token.name}" does not have the "${scope}" scope`);
    }
    c.set("actor", token.name);
    c.set("scopes", token.scopes);
    await next();
  };
}
