// Tags made with `git tag -s` and the real signing tools, exactly as a release engineer makes them.
import { runGit } from "./git-cli.ts";
import type { SigningKey } from "./signing-keys.ts";

/** git config arguments (and environment) that make `git tag -s` sign with this key. */
export function signingConfig(key: SigningKey): { args: string[]; env: Record<string, string> } {
  if (key.kind === "ssh") {
    return { args: ["-c", "gpg.format=ssh", "-c", `user.signingkey=${key.privateKeyPath}`], env: {} };
  }
  return {
    args: ["-c", "gpg.format=openpgp", "-c", `user.signingkey=${key.fingerprint}`],
    env: { GNUPGHOME: key.gnupgHome },
  };
}

export interface TagOptions {
  message?: string;
  /** What to tag; HEAD by default. */
  target?: string;
  /** Extra environment for git, such as the tagger identity (gitIdentityEnv). */
  gitEnv?: Record<string, string>;
}

/** `git tag -s` in a local repository, signed by gpg or ssh-keygen. Returns the tag object id. */
export function signedTag(repo: string, name: string, key: SigningKey, options: TagOptions = {}): string {
  const { args, env } = signingConfig(key);
  runGit(
    repo,
    [...args, "tag", "-s", "-m", options.message ?? `release ${name}`, name, options.target ?? "HEAD"],
    { ...options.gitEnv, ...env },
  );
  return runGit(repo, ["rev-parse", `refs/tags/${name}`]);
}

/** An annotated tag with no signature. */
export function annotatedTag(repo: string, name: string, options: Omit<TagOptions, "target"> = {}): string {
  runGit(repo, ["tag", "-a", "-m", options.message ?? `release ${name}`, name], options.gitEnv);
  return runGit(repo, ["rev-parse", `refs/tags/${name}`]);
}
