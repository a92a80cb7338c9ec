// A release tag moved, seen first by the push webhook's release check (release.rejected with code tag.moved): the
// environments naming that tag are pinned to the verified commit, as when the reconciler's ref listing finds the
// move (it queues the tag-pin job with its tag.moved event). Without this, a move the webhook saw first was never
// pinned: the release check marks the tag moved, and the reconciler reports a tag's state only when it changes.
// The job is queued by an audit follower, in the transaction that records the move.
import type { AuditFollower } from "../audit/index.ts";
import { enqueueJob, tagPinJob } from "../jobs/index.ts";
import type { AuditEventRow } from "../store/index.ts";
import { verifiedRelease } from "../store/queries/index.ts";

/** The app and version of an audit event recording that a release's tag moved (either detection path). */
export function tagMoveOf(
  event: Pick<AuditEventRow, "kind" | "subject" | "payload">,
): { app: string; version: string } | undefined {
  if (event.kind !== "tag.moved" && event.kind !== "release.rejected") return undefined;
  if (event.kind === "release.rejected") {
    const reasons = (event.payload as { reasons?: { code?: unknown }[] } | null)?.reasons;
    if (!Array.isArray(reasons) || !reasons.some((reason) => reason?.code === "tag.moved")) return undefined;
  }
  // Subjects are "<app>@<version>"; app names hold no "@".
  const at = event.subject.indexOf("@");
  if (at <= 0) return undefined;
  return { app: event.subject.slice(0, at), version: event.subject.slice(at + 1) };
}

export function movedTagPinFollower(onQueued?: () => void): AuditFollower {
  return (tx, event) => {
    // The reconciler queues the pin with its own tag.moved event; only the release check's record is followed here.
    if (event.kind !== "release.rejected") return;
    const moved = tagMoveOf(event);
    if (!moved) return;
    const release = verifiedRelease(tx, moved.app, moved.version);
    const movedTo = (event.payload as { tagObject?: unknown } | null)?.tagObject;
    if (!release?.commit || typeof movedTo !== "string") return;
    enqueueJob(
      tx,
      tagPinJob.job({
        ...moved,
        tagName: release.tagName,
        verifiedTagObject: release.tagObject,
        commit: release.commit,
        movedTo,
        movedEventSeq: event.seq,
      }),
      event.time,
    );
    onQueued?.();
  };
}
