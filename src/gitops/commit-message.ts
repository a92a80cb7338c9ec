/**
 * The promotion commit message: one subject line per change ("order-svc: dev v1.3.0 -> v1.4.0"), the reason,
 * then git trailers. The trailers are what makes a promotion findable on the remote: a restarted
 * relbot scans recent history for "Relbot-Promotion: <id>" before committing again.
 */

export interface CommittedChange {
  promotionId: string;
  app: string;
  env: string;
  fromVersion: string | null;
  toVersion: string;
  /** The commit SHA written instead of the tag name (a pinned environment). */
  pinnedCommit?: string;
}

export interface PromotionCommit {
  requestId: string;
  actor: string;
  reason?: string;
  changes: CommittedChange[];
  /** The audit chain's newest hash when the commit was made: anchors the chain outside the database. */
  auditHead?: string;
}

// One line, no control characters: a reason or actor must not be able to forge a trailer of its own.
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, " ").trim();
}

export function promotionCommitMessage(commit: PromotionCommit): string {
  const subject = commit.changes.map(
    (change) =>
      `${change.app}: ${change.env} ${change.fromVersion ?? "(unset)"} -> ${change.pinnedCommit ?? change.toVersion}`,
  );
  const trailers = [`Relbot-Request: ${oneLine(commit.requestId)}`];
  for (const change of commit.changes) {
    trailers.push(
      `Relbot-Promotion: ${oneLine(change.promotionId)}`,
      `Relbot-App: ${change.app}`,
      `Relbot-Env: ${change.env}`,
      `Relbot-Version: ${oneLine(change.toVersion)}`,
    );
    if (change.pinnedCommit) trailers.push(`Relbot-Pinned-Commit: ${oneLine(change.pinnedCommit)}`);
  }
  trailers.push(`Relbot-Actor: ${oneLine(commit.actor)}`);
  if (commit.auditHead) trailers.push(`Relbot-Audit-Head: ${oneLine(commit.auditHead)}`);
  const reason = commit.reason ? oneLine(commit.reason) : "";
  const paragraphs = [subject.join("\n"), ...(reason ? [`Reason: ${reason}`] : []), trailers.join("\n")];
  return `${paragraphs.join("\n\n")}\n`;
}

/** The changes a relbot commit carries, read back from its trailers (only the last paragraph counts, as in git). */
export function parsePromotionCommit(message: string): CommittedChange[] {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const trailerLines = (paragraphs.at(-1) ?? "").split("\n");
  const subjectLines = paragraphs.length > 1 ? (paragraphs[0] ?? "").split("\n") : [];
  const changes: CommittedChange[] = [];
  for (const line of trailerLines) {
    const match = /^Relbot-(Promotion|App|Env|Version): (.*)$/.exec(line);
    if (!match) continue;
    const [, key, value = ""] = match;
    if (key === "Promotion") {
      changes.push({ promotionId: value, app: "", env: "", fromVersion: null, toVersion: "" });
      continue;
    }
    const current = changes.at(-1);
    if (!current) continue;
    if (key === "App") current.app = value;
    else if (key === "Env") current.env = value;
    else current.toVersion = value;
  }
  changes.forEach((change, index) => {
    const from = /^\S+: \S+ (\S+) -> \S+$/.exec(subjectLines[index] ?? "")?.[1];
    change.fromVersion = from === undefined || from === "(unset)" ? null : from;
  });
  return changes;
}

/**
 * The audit head a relbot commit anchors (its Relbot-Audit-Head trailer), or undefined. Only a commit that is
 * relbot's by its trailers (Relbot-Request) counts, and only the last paragraph, as git reads trailers.
 */
export function parseAuditHead(message: string): string | undefined {
  const trailerLines = (
    message
      .trimEnd()
      .split(/\n\s*\n/)
      .at(-1) ?? ""
  ).split("\n");
  if (!trailerLines.some((line) => line.startsWith("Relbot-Request: "))) return undefined;
  for (const line of trailerLines) {
    const match = /^Relbot-Audit-Head: ([0-9a-f]{64})$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}
