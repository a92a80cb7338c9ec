// Throwaway signing keys and signed tags for tests. The key making lives in src/devtools (`relbot demo` signs
// its tags the same way); here tags are made as the fixed test identity.
import { annotatedTag as annotatedTagAs, signedTag as signedTagAs } from "../../src/devtools/signed-tags.ts";
import type { SigningKey } from "../../src/devtools/signing-keys.ts";
import { testGitEnv } from "./git.ts";

export { signingConfig } from "../../src/devtools/signed-tags.ts";
export {
  type GpgKey,
  gpg,
  makeGpgKey,
  makeSshKey,
  type SigningKey,
  type SshKey,
  writeAllowedSigners,
} from "../../src/devtools/signing-keys.ts";

/** `git tag -s` at HEAD (or `target`), signed by the real gpg or ssh-keygen. Returns the tag object id. */
export function signedTag(
  repo: string,
  name: string,
  key: SigningKey,
  options: { message?: string; target?: string } = {},
): string {
  return signedTagAs(repo, name, key, { ...options, gitEnv: testGitEnv });
}

/** An annotated tag with no signature. */
export function annotatedTag(repo: string, name: string, message = `release ${name}`): string {
  return annotatedTagAs(repo, name, { message, gitEnv: testGitEnv });
}
