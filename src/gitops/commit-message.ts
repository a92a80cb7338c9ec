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
}

export interface PromotionCommit {
  requestId: string;
  actor: string;
  reason?: string;
  changes: CommittedChange[];
}

// One line, no control characters: a reason or actor must not be able to forge a trailer of its own.
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, " ").trim();
}

export function promotionCommitMessage(commit: PromotionCommit): string {
  const subject = commit.changes.map(
    (change) => `${change.app}: ${change.env} ${change.fromVersion ?? "(unset)"} -> ${change.toVersion}`,
  );
  const trailers = [`Relbot-Request: ${oneLine(commit.requestId)}`];
  for (const change of commit.changes) {
    trailers.push(
      `Relbot-Promotion: ${oneLine(change.promotionId)}`,
      `Relbot-App: ${change.app}`,
      `Relbot-Env: ${change.env}`,
      `Relbot-Version: ${oneLine(change.toVersion)}`,
    );
  }
  trailers.push(`Relbot-Actor: ${oneLine(commit.actor)}`);
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
