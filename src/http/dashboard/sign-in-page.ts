import { html } from "hono/html";
import { markup } from "./format.ts";
import { pageHead, pagePolicy } from "./page-style.ts";
import { signInPath } from "./paths.ts";

/**
 * The answer to a browser without access: why, and a form that trades a read token for a session cookie. The
 * token typed in is never written back into the page.
 */
function render(problem: string): string {
  return markup(html`<!doctype html>
<html lang="en">
${pageHead("Sign in · relbot")}
<body>
<header><h1>relbot releases</h1></header>
<main>
<form class="sign-in" method="post" action="${signInPath}">
<h2>Sign in</h2>
<p role="alert">${problem}</p>
<p class="muted">Paste an API token with the <code>read</code> scope (from <code>api.tokens</code> in relbot.yaml).
It is kept in an HttpOnly cookie for this site only.</p>
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<button type="submit">Open the dashboard</button>
</form>
</main>
</body>
</html>
`);
}

export const signInPage = { render, contentSecurityPolicy: pagePolicy() };
