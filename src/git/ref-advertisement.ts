// One protocol v1 ref advertisement (`GET <repo>/info/refs?service=git-upload-pack`), read by a small linear
// pkt-line reader: what a reconcile pass asks every source repository once. isomorphic-git's listServerRefs reads
// the same answer through its generic stream and capability machinery at about 1 ms of CPU per repository (40 tags);
// a pass over 500 repositories spent half a second of the event loop there. This reads the body once, with a cap,
// and keeps only the names asked for.
import { traceHeaders } from "../telemetry/tracing.ts";

/** An advertisement larger than this is refused: GitHub's include every `refs/pull/*`, yet stay far below it. */
export const maxAdvertisementBytes = 32 * 1024 * 1024;

const oidPattern = /^[0-9a-f]{40}$/;

/**
 * Every ref under `prefix` the remote advertises, name (prefix kept) -> object id. Peeled entries (`^{}`) are left
 * out: for an annotated tag the listed id is the tag object, which is what release checks verify.
 */
export async function listAdvertisedRefs(
  url: string,
  options: { headers?: Record<string, string>; prefix: string; maxBytes?: number },
): Promise<Map<string, string>> {
  return (await readAdvertisement(url, options)).refs;
}

/** The advertisement's refs under `prefix` and the capabilities the server offers (what a v0 fetch may ask for). */
export async function readAdvertisement(
  url: string,
  options: { headers?: Record<string, string>; prefix: string; maxBytes?: number },
): Promise<Advertisement> {
  const response = await fetch(`${url.replace(/\/+$/, "")}/info/refs?service=git-upload-pack`, {
    headers: { ...options.headers, ...traceHeaders(), "User-Agent": "git/relbot" },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP Error: ${response.status} ${response.statusText}`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (type !== "application/x-git-upload-pack-advertisement") {
    await response.body?.cancel();
    throw new Error(`not a smart git HTTP server (Content-Type: ${type.slice(0, 80) || "none"})`);
  }
  const body = await readCapped(response, options.maxBytes ?? maxAdvertisementBytes);
  return parseAdvertisementWithCapabilities(body, options.prefix);
}

export interface Advertisement {
  refs: Map<string, string>;
  capabilities: string[];
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`ref advertisement of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`ref advertisement over the ${maxBytes}-byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** The smart HTTP v1 advertisement: `# service=...` and a flush, then one pkt-line per ref, then a flush. */
export function parseAdvertisement(body: Uint8Array, prefix: string): Map<string, string> {
  return parseAdvertisementWithCapabilities(body, prefix).refs;
}

function parseAdvertisementWithCapabilities(body: Uint8Array, prefix: string): Advertisement {
  const refs = new Map<string, string>();
  let capabilities: string[] = [];
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let position = 0;
  let flushes = 0;
  let first = true;
  while (flushes < 2) {
    if (position + 4 > text.length) throw new Error("ref advertisement ends early");
    const hex = text.toString("latin1", position, position + 4);
    const length = Number.parseInt(hex, 16);
    if (!/^[0-9a-f]{4}$/i.test(hex) || (length > 0 && length < 4)) {
      throw new Error("ref advertisement: malformed pkt-line length");
    }
    if (length === 0) {
      flushes++;
      position += 4;
      continue;
    }
    if (position + length > text.length) throw new Error("ref advertisement ends inside a pkt-line");
    let line = text.toString("utf8", position + 4, position + length);
    position += length;
    if (first) {
      first = false;
      if (!line.startsWith("# service=")) throw new Error("ref advertisement: no service line");
      continue;
    }
    const nul = line.indexOf("\0");
    if (nul !== -1) {
      // The first ref carries the capabilities (an empty repository: a zero id named `capabilities^{}`).
      capabilities = line
        .slice(nul + 1)
        .trim()
        .split(" ")
        .filter(Boolean);
      line = line.slice(0, nul);
    }
    if (line.endsWith("\n")) line = line.slice(0, -1);
    const space = line.indexOf(" ");
    const oid = line.slice(0, space);
    const name = line.slice(space + 1);
    if (space !== 40 || !oidPattern.test(oid)) throw new Error("ref advertisement: malformed ref line");
    if (name.startsWith(prefix) && !name.endsWith("^{}")) refs.set(name, oid);
  }
  return { refs, capabilities };
}
