import * as isogit from "isomorphic-git";
import { type ReceivePackReport, readReceivePackResponse } from "./receive-pack-report.ts";
import { http } from "./traced-http.ts";

/**
 * One smart-HTTP push, as git itself does it: the receive-pack ref advertisement first (what the server
 * offers, and where the branch is now), then one request carrying exactly the objects relbot wrote (blob, the
 * trees along the path, the commit) and a compare-and-swap ref update from `oldOid` to `newOid`.
 * isomorphic-git's push would walk every tree of the old and new commits to decide what to send; relbot
 * already knows both, so a pack of a handful of objects is enough, whatever the repo's size.
 *
 * Hosts differ in what they accept: only capabilities the server advertised are asked for (some abort on an
 * `agent` they did not offer), and side-band-64k is asked for so the host's refusal text (a protected
 * branch, a pre-receive hook) arrives as `remote:` lines instead of being dropped.
 */

export interface RefUpdate {
  url: string;
  headers: Record<string, string>;
  ref: string;
  oldOid: string;
  newOid: string;
  /** The pack of the objects the update adds (pack-builder.ts). */
  pack: Uint8Array;
}

export type RefUpdateResult =
  | { ok: true; remote: string[] }
  /** `stale`: the branch is no longer at `oldOid` (a concurrent push); anything else is the server saying no. */
  | { ok: false; stale: boolean; reason: string; remote: string[]; current?: string };

/** An HTTP status other than 200 from the git server, with the (short, cleaned) text it answered. */
export class ReceivePackHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly serverMessage: string,
  ) {
    super(`HTTP Error: ${statusCode} from git-receive-pack${serverMessage ? `: ${serverMessage}` : ""}`);
    this.name = "ReceivePackHttpError";
  }
  /** Same shape as isomorphic-git's HttpError, so callers map both alike. */
  get data(): { statusCode: number; response: string } {
    return { statusCode: this.statusCode, response: this.serverMessage };
  }
}

/** What a receive-pack advertisement offers: capabilities and where each ref is. */
export interface PushAdvertisement {
  capabilities: Record<string, string | true>;
  refs: Map<string, string>;
}

const zeroOid = "0000000000000000000000000000000000000000";
/** A report is a few lines; hooks may print more on band 2. Anything past this is not read. */
const maxResponseBytes = 1024 * 1024;

export async function advertiseReceivePack(
  url: string,
  headers: Record<string, string>,
): Promise<PushAdvertisement> {
  const info = await isogit.getRemoteInfo2({ http, url, headers, forPush: true, protocolVersion: 1 });
  const refs = new Map<string, string>();
  for (const ref of info.refs ?? []) refs.set(ref.ref, ref.oid);
  return { capabilities: info.capabilities, refs };
}

/**
 * The capabilities relbot asks for, each only when offered. report-status is required: without it the server
 * never says whether the update happened.
 */
export function requestedCapabilities(advertised: Record<string, string | true>): string[] {
  const wanted: string[] = ["report-status"];
  if (advertised["side-band-64k"]) wanted.push("side-band-64k");
  else if (advertised["side-band"]) wanted.push("side-band");
  // quiet drops index-pack progress from band 2, leaving the host's own messages.
  if (advertised.quiet) wanted.push("quiet");
  if (advertised.agent) wanted.push("agent=relbot");
  return wanted;
}

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, "0"), "ascii"), payload]);
}

export async function updateRef(update: RefUpdate): Promise<RefUpdateResult> {
  const url = update.url.replace(/\/+$/, "");
  const advertised = await advertiseReceivePack(url, update.headers);
  const current = advertised.refs.get(update.ref) ?? zeroOid;
  if (current !== update.oldOid) {
    return { ok: false, stale: true, reason: `${update.ref} is now at ${current}`, remote: [], current };
  }
  if (!advertised.capabilities["report-status"]) {
    throw new ReceivePackHttpError(501, "the server does not offer report-status");
  }
  const capabilities = requestedCapabilities(advertised.capabilities);
  const command = `${update.oldOid} ${update.newOid} ${update.ref}\0${capabilities.join(" ")}\n`;
  const body = [pktLine(command), Buffer.from("0000", "ascii"), Buffer.from(update.pack)];
  const response = await http.request({
    url: `${url}/git-receive-pack`,
    method: "POST",
    headers: {
      ...update.headers,
      "Content-Type": "application/x-git-receive-pack-request",
      Accept: "application/x-git-receive-pack-result",
    },
    body: body as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const bytes = await readCapped(response.body);
  if (response.statusCode !== 200) {
    throw new ReceivePackHttpError(response.statusCode, cleanServerText(bytes.toString("utf8")));
  }
  const sideBand = capabilities.includes("side-band-64k") || capabilities.includes("side-band");
  return judge(readReceivePackResponse(bytes, sideBand), update.ref);
}

function judge(report: ReceivePackReport, ref: string): RefUpdateResult {
  const remote = report.remote;
  if (report.fatal !== undefined) return { ok: false, stale: false, reason: report.fatal, remote };
  if (report.unpack === undefined) {
    // Cut off before the report: whether the update happened is unknown, so it is treated as a network failure.
    throw new ReceivePackHttpError(502, "the server sent no report");
  }
  if (report.unpack !== "ok") {
    return { ok: false, stale: false, reason: `unpack failed: ${report.unpack}`, remote };
  }
  const status = report.refs.get(ref);
  if (status === undefined) {
    return { ok: false, stale: false, reason: `the server did not report on ${ref}`, remote };
  }
  if (status.ok) return { ok: true, remote };
  return { ok: false, stale: false, reason: status.reason, remote };
}

async function readCapped(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (body) {
    for await (const chunk of body) {
      if (size >= maxResponseBytes) continue; // drain, keep nothing more
      chunks.push(chunk.subarray(0, maxResponseBytes - size));
      size += chunk.length;
    }
  }
  return Buffer.concat(chunks);
}

/** A server's text made safe to log and show: no control characters, one short paragraph. */
export function cleanServerText(text: string, max = 500): string {
  let out = "";
  for (const ch of text.slice(0, max * 2)) {
    const code = ch.charCodeAt(0);
    out += code === 10 || code === 13 || code === 9 ? " " : code < 32 || code === 127 ? "" : ch;
  }
  out = out.replace(/ {2,}/g, " ").trim();
  return out.length > max ? `${out.slice(0, max)}...` : out;
}
