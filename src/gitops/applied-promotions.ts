import type { BareCache } from "../git/bare-cache.ts";
import { parseAuditHead, parsePromotionCommit } from "./commit-message.ts";

export interface AppliedPromotion {
  commit: string;
  fromVersion: string | null;
}

/** What one commit of the branch says about relbot: the promotions it applied and the audit head it anchors. */
interface CommitRecord {
  commit: string;
  changes: { promotionId: string; fromVersion: string | null }[];
  auditHead: string | undefined;
}

/**
 * Which promotions already reached the remote branch, read from the Relbot-Promotion trailers of its recent
 * history. Commits seen once are remembered, so a warm relbot reads only the commits that arrived since.
 *
 * What is remembered is bounded by the scan window: the `scanDepth` newest commits, the same history a cold
 * relbot reads. Remembering older commits would only let a warm process recognise what a restarted one cannot,
 * while its memory grew with every commit the branch ever received.
 */
export class AppliedPromotions {
  /** The remembered commits, newest first (each scan's commits in the order the walk met them). */
  private recent: CommitRecord[] = [];
  private readonly visited = new Set<string>();

  constructor(
    private readonly cache: Pick<BareCache, "readCommit">,
    /** How many new commits one scan may read, and how many are remembered: the window in which a crashed promotion is recognised. */
    private readonly scanDepth: number,
  ) {}

  /** How many commits are remembered now (at most the scan window). */
  get rememberedCommits(): number {
    return this.recent.length;
  }

  async find(tip: string, promotionIds: string[]): Promise<Map<string, AppliedPromotion>> {
    await this.scan(tip);
    const wanted = new Set(promotionIds);
    const found = new Map<string, AppliedPromotion>();
    // Oldest first, and the first commit carrying an id wins: that is when the promotion happened.
    for (let i = this.recent.length - 1; i >= 0 && found.size < wanted.size; i--) {
      const record = this.recent[i]!;
      for (const change of record.changes) {
        if (wanted.has(change.promotionId) && !found.has(change.promotionId))
          found.set(change.promotionId, { commit: record.commit, fromVersion: change.fromVersion });
      }
    }
    return new Map(promotionIds.flatMap((id) => (found.has(id) ? [[id, found.get(id)!] as const] : [])));
  }

  /** Every audit head anchored by the relbot commits of the branch's recent history, newest first. */
  async auditAnchors(tip: string): Promise<{ commit: string; head: string }[]> {
    await this.scan(tip);
    return this.recent.flatMap((record) =>
      record.auditHead ? [{ commit: record.commit, head: record.auditHead }] : [],
    );
  }

  /** Records a commit relbot just pushed, without reading it back. */
  remember(commit: string, message: string): void {
    if (this.visited.has(commit)) return;
    this.visited.add(commit);
    this.keep([recordOf(commit, message)]);
  }

  private async scan(tip: string): Promise<void> {
    const queue = [tip];
    const fresh: CommitRecord[] = [];
    while (queue.length > 0 && fresh.length < this.scanDepth) {
      const oid = queue.shift()!;
      if (this.visited.has(oid)) continue;
      this.visited.add(oid);
      const commit = await this.cache.readCommit(oid);
      // Beyond a shallow clone's boundary: counts against the window like any commit read.
      fresh.push(commit ? recordOf(oid, commit.message) : { commit: oid, changes: [], auditHead: undefined });
      if (commit) queue.push(...commit.parents);
    }
    this.keep(fresh);
  }

  /**
   * Puts newer commits in front and forgets the oldest beyond the window. A forgotten commit is never read
   * again: the walk stops at the remembered commits, which are all newer than it.
   */
  private keep(newer: CommitRecord[]): void {
    if (newer.length === 0) return;
    this.recent = [...newer, ...this.recent];
    for (const old of this.recent.splice(this.scanDepth)) this.visited.delete(old.commit);
  }
}

function recordOf(commit: string, message: string): CommitRecord {
  return {
    commit,
    changes: parsePromotionCommit(message).map(({ promotionId, fromVersion }) => ({
      promotionId,
      fromVersion,
    })),
    auditHead: parseAuditHead(message),
  };
}
