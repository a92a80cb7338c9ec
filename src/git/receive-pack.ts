import fs from "node:fs";
import * as isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";

/**
 * One smart-HTTP receive-pack request carrying exactly the objects relbot wrote (blob, the trees along the
 * path, the commit) and a compare-and-swap ref update from `oldOid` to `newOid`. isomorphic-git's push would
 * first advertise refs and then walk every tree of the old and new commits to decide what to send; relbot
 * already knows both, so one request with a pack of a handful of objects is enough, whatever the repo's size.
 * The server refuses the update if the branch is no longer at `oldOid`: that is how a concurrent push shows.
 */

export interface RefUpdate {
  url: string;
  gitdir: string;
  cache: object;
  headers: Record<string, string>;
  ref: string;
  oldOid: string;
  newOid: string;
  objects: string[];
}

export type RefUpdateResult = { ok: true } | { ok: false; reason: string };

export class ReceivePackHttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`HTTP Error: ${statusCode} from git-receive-pack`);
    this.name = "ReceivePackHttpError";
  }
  /** Same shape as isomorphic-git's HttpError, so callers map both alike. */
  get data(): { statusCode: number } {
    return { statusCode: this.statusCode };
  }
}

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, "0"), "ascii"), payload]);
}

/** The pkt-line payloads of a report-status response (no side-band requested, so no band bytes). */
function readPktLines(body: Buffer): string[] {
  const lines: string[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString("ascii"), 16);
    if (Number.isNaN(length)) break;
    if (length === 0) {
      at += 4;
      continue;
    }
    lines.push(
      body
        .subarray(at + 4, at + length)
        .toString("utf8")
        .replace(/\n$/, ""),
    );
    at += length;
  }
  return lines;
}

export async function updateRef(update: RefUpdate): Promise<RefUpdateResult> {
  const { packfile } = await isogit.packObjects({
    fs,
    gitdir: update.gitdir,
    oids: update.objects,
    cache: update.cache,
  });
  const command = `${update.oldOid} ${update.newOid} ${update.ref}\0report-status agent=relbot\n`;
  const body = [pktLine(command), Buffer.from("0000", "ascii"), Buffer.from(packfile!)];
  const response = await http.request({
    url: `${update.url.replace(/\/+$/, "")}/git-receive-pack`,
    method: "POST",
    headers: {
      ...update.headers,
      "Content-Type": "application/x-git-receive-pack-request",
      Accept: "application/x-git-receive-pack-result",
    },
    body: body as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of response.body) chunks.push(chunk);
  if (response.statusCode !== 200) throw new ReceivePackHttpError(response.statusCode);
  const report = readPktLines(Buffer.concat(chunks));
  const unpack = report.find((line) => line.startsWith("unpack "));
  if (unpack !== "unpack ok") return { ok: false, reason: unpack ?? "the server sent no report" };
  const status = report.find(
    (line) => line.startsWith(`ok ${update.ref}`) || line.startsWith(`ng ${update.ref}`),
  );
  if (status?.startsWith("ok ")) return { ok: true };
  return {
    ok: false,
    reason: status?.slice(`ng ${update.ref} `.length) || "the server did not accept the update",
  };
}
