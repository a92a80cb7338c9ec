// What the release checks conclude about one tag. Every failed check is listed, each with a stable code and a
// sentence naming what to fix.
import { signatureCheckCodes } from "../signing/result.ts";

/** The stable codes a rejection can carry (README "Release checks" documents each). A new check adds its code here. */
export const releaseCheckCodes = [
  "tag.name",
  "tag.not-found",
  "tag.lightweight",
  "tag.malformed",
  "tag.too-large",
  "tag.date-skew",
  "tag.name-mismatch",
  "tag.target-not-commit",
  "tag.moved",
  ...signatureCheckCodes,
  "gomod.missing",
  "gomod.invalid",
  "gomod.too-large",
  "gomod.module-path",
  "gomod.retracted",
  "sbom.missing",
  "sbom.invalid",
  "sbom.too-large",
] as const;

export type ReleaseCheckCode = (typeof releaseCheckCodes)[number];

export interface ReleaseCheckFailure {
  code: ReleaseCheckCode;
  message: string;
}

export interface TagVerdict {
  ok: boolean;
  app: string;
  tagName: string;
  /** "v1.4.0", without the dir/ prefix; null when the name is not a release name. */
  version: string | null;
  /** The module path go.mod must declare, /vN (or gopkg.in .vN) included. */
  module: string | null;
  /** The tag object id (the commit id for a lightweight tag); null when the tag does not exist. */
  tagObject: string | null;
  commit: string | null;
  /** time: Unix milliseconds. */
  tagger: { name: string; email: string; time: number } | null;
  signer: { format: "openpgp" | "ssh"; identity: string; fingerprint: string } | null;
  reasons: ReleaseCheckFailure[];
  /**
   * Unix ms: when relbot first saw this tag object under this version (kept on the release row). Key validity and
   * the tagger date are judged at this moment, so a re-check of an old release reaches the same verdict; null when
   * the tag does not exist.
   */
  firstSeenAt: number | null;
  /** This exact tag object was verified before (a re-delivery or a reconcile pass): recording it is a no-op. */
  alreadyVerified: boolean;
}
