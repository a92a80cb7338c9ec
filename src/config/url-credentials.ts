// A configured URL must not carry a credential: the config file's URLs are recorded (the config.loaded audit
// event, logs, error messages), and the audit chain cannot forget what it recorded. Tokens live in environment
// variables named by a `tokenEnv` setting instead.
import { z } from "zod";

/**
 * The credential a URL carries in its userinfo, as a kind: "user" (https://TOKEN@host/...: hosts accept a bare
 * token as the user name), "password" (user:secret@), or undefined when there is none. An SSH user name
 * (git@github.com:org/repo, ssh://git@host/repo) is an account, not a secret, and is allowed.
 */
export function urlCredential(url: string): "user" | "password" | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  const rest = scheme ? url.slice(scheme[0].length) : url;
  // The authority ends at the first "/", "?" or "#"; a "@" after that is part of the path.
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  if (at === -1) return undefined;
  const userinfo = authority.slice(0, at);
  if (userinfo.includes(":")) return "password";
  const sshLike = !scheme || /^(ssh|git\+ssh|ssh\+git)$/i.test(scheme[1]!);
  return sshLike ? undefined : "user";
}

/** A URL setting whose credential, if any, belongs in the environment variable `tokenSetting` names. */
export function credentialFreeUrl(tokenSetting: string) {
  return z.string().superRefine((url, ctx) => {
    if (urlCredential(url) === undefined) return;
    // The message never repeats the URL: it holds the secret.
    ctx.addIssue({
      code: "custom",
      message: `must not contain a user name or password (user:secret@): remove it, put the token in an environment variable and name that variable in ${tokenSetting}`,
    });
  });
}
