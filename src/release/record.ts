// Writes a verdict as a releases row and its audit event, in one transaction.
import { and, eq, ne } from "drizzle-orm";
import { appendAuditEvent } from "../audit/index.ts";
import { type Db, type ReleaseRow, releases } from "../store/index.ts";
import { insertRelease, releaseOfTagObject } from "../store/queries/index.ts";
import type { TagVerdict } from "./verdict.ts";

export interface RecordExtra {
  /** Where the tag came from: "webhook", "reconcile", "cli", ... */
  source: string;
  deliveryId?: string;
  sbom?: { digest: string; format: "spdx" | "cyclonedx" } | null;
}

/**
 * Idempotent per (app, version, tag object): a verified row is never rewritten; a rejected row is updated (with an
 * audit event) only when a new check of the same object reaches another conclusion, e.g. once a missing key is added.
 * A verdict rejected as a moved tag also marks the verified row it contradicts as tag_state "moved".
 */
export function recordRelease(db: Db, verdict: TagVerdict, extra: RecordExtra, now: number): ReleaseRow {
  // A tag that is not a release name has no version; its name keeps the row findable.
  const version = verdict.version ?? verdict.tagName;
  const tagObject = verdict.tagObject ?? "";
  const status = verdict.ok ? ("verified" as const) : ("rejected" as const);
  const fields = {
    app: verdict.app,
    module: verdict.module ?? "",
    version,
    tagName: verdict.tagName,
    tagObject,
    commit: verdict.commit,
    signatureFormat: verdict.signer?.format ?? null,
    signer: verdict.signer?.identity ?? null,
    keyFingerprint: verdict.signer?.fingerprint ?? null,
    sbomDigest: extra.sbom?.digest ?? null,
    sbomFormat: extra.sbom?.format ?? null,
    status,
    reasons: verdict.reasons,
    source: extra.source,
    deliveryId: extra.deliveryId ?? null,
  };
  const event = {
    kind: verdict.ok ? "release.verified" : "release.rejected",
    actor: "relbot",
    subject: `${verdict.app}@${version}`,
    payload: {
      tagName: verdict.tagName,
      tagObject,
      commit: verdict.commit,
      signer: verdict.signer,
      sbom: extra.sbom ?? null,
      reasons: verdict.reasons,
      source: extra.source,
      deliveryId: extra.deliveryId ?? null,
    },
  };
  return db.transaction((tx) => {
    const existing = releaseOfTagObject(tx, verdict.app, version, tagObject);
    if (verdict.reasons.some((r) => r.code === "tag.moved")) {
      tx.update(releases)
        .set({ tagState: "moved", updatedAt: now })
        .where(
          and(
            eq(releases.app, verdict.app),
            eq(releases.version, version),
            eq(releases.status, "verified"),
            ne(releases.tagObject, tagObject),
          ),
        )
        .run();
    }
    if (existing) {
      const unchanged =
        existing.status === "verified" ||
        (existing.status === status && JSON.stringify(existing.reasons) === JSON.stringify(verdict.reasons));
      if (unchanged) return existing;
      const row = tx
        .update(releases)
        .set({ ...fields, updatedAt: now })
        .where(eq(releases.id, existing.id))
        .returning()
        .get();
      appendAuditEvent(tx, event, now);
      return row;
    }
    const row = insertRelease(tx, {
      ...fields,
      tagState: "ok",
      firstSeenAt: verdict.firstSeenAt ?? now,
      createdAt: now,
      updatedAt: now,
    });
    appendAuditEvent(tx, event, now);
    return row;
  });
}
