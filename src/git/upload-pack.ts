// A git protocol v2 `fetch` over smart HTTP that streams the pack to disk: what isomorphic-git's fetch cannot do.
// isomorphic-git asks for every blob of the tagged tree and indexes the pack by inflating each object whole, so a
// tag pointing at a commit with a 20 MB file (go.mod or anything else) costs relbot ~3.5x that in memory and
// hundreds of ms of event loop before any size check can run. With this, release checks fetch the tag, its commit
// and trees without blobs (`filter blob:none`, what partial clones ask GitHub for), then the few blobs they read,
// one at a time, each refused from its pack entry header, before its data arrives, when it is over the cap.
// A server without protocol v2 is fetched from in v0 through the same streaming writer (git.maxPackBytes, the
// checksum, nothing held in memory), never through isomorphic-git's buffered fetch.
import { createHash } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { RelbotError } from "../errors.ts";
import { traceHeaders } from "../telemetry/tracing.ts";
import { malformedPack } from "./pack-format.ts";

export interface PackRequest {
  url: string;
  headers: Record<string, string>;
  gitdir: string;
  wants: string[];
  /** `deepen 1`: the wanted commit without its history. */
  shallow?: boolean;
  /** `deepen <n>`: the wanted commit and n-1 generations of history (overrides `shallow`). */
  depth?: number;
  /** Commits the client has: the server leaves out what they reach. */
  haves?: string[];
  /**
   * Commits the client holds without their parents (`shallow` lines): the server then counts only their own
   * trees as held, not the history behind them.
   */
  clientShallows?: string[];
  /** A partial-clone filter such as "blob:none" (the server must advertise `filter`). */
  filter?: string;
  /** Stop the download and report the size when the pack's first object is larger than this. */
  maxFirstObjectBytes?: number;
  /** Stop the download (TooManyObjects) when the pack header announces more objects than this. */
  maxObjects?: number;
  /**
   * Stop the download, delete what was written and throw git.pack_too_large once the pack passes this many bytes
   * (git.maxPackBytes); defaultMaxPackBytes when absent, so no caller streams to disk without a cap.
   */
  maxPackBytes?: number;
  /**
   * Speak protocol v0/v1 (a server without v2) with the capabilities its ref advertisement listed; `filter` is
   * then not sent.
   */
  protocolV0?: { capabilities: readonly string[] };
}

/**
 * Default of git.maxPackBytes. relbot fetches shallow (a tip's tree, commit objects of its history, single blobs):
 * a GitOps repository of 100,000 manifests packs to tens of MB, and GitHub warns at 1 GB repositories.
 */
export const defaultMaxPackBytes = 1024 * 1024 * 1024;

/** The pack passed git.maxPackBytes: the download is stopped and its file deleted. */
export function packTooLarge(limit: number): RelbotError {
  return new RelbotError(
    "git.pack_too_large",
    `the git server sent a pack of more than ${limit} bytes, the limit; nothing was kept (git.maxPackBytes in the config raises it)`,
    { limit },
  );
}

/** git.maxPackBytes and git.maxObjectBytes, as the fetchers take them (defaults below and in pack-indexer.ts). */
export interface PackLimits {
  maxPackBytes?: number;
  maxObjectBytes?: number;
}

/** The pack announced more objects than the caller would take (a fetch that turned into a full clone). */
export class TooManyObjects extends Error {
  constructor(readonly count: number) {
    super(`the server offered a pack of ${count} objects`);
    this.name = "TooManyObjects";
  }
}

/** An HTTP status other than 200 from upload-pack; `data` has the shape of isomorphic-git's HttpError. */
export class UploadPackHttpError extends RelbotError {
  constructor(readonly statusCode: number) {
    super("source.unreachable", `upload-pack answered HTTP ${statusCode}`);
  }
  get data(): { statusCode: number; response: string } {
    return { statusCode: this.statusCode, response: "" };
  }
}

export type FetchedPack = { packFile: string } | { tooLarge: number };

const pkt = (line: string) => `${(Buffer.byteLength(line) + 4).toString(16).padStart(4, "0")}${line}`;

/** Protocol v2's fetch command (gitprotocol-v2(5)): every current host speaks it. */
function v2Body(request: PackRequest): string {
  return (
    pkt("command=fetch\n") +
    "0001" +
    pkt("no-progress\n") +
    pkt("ofs-delta\n") +
    (request.depth !== undefined
      ? pkt(`deepen ${request.depth}\n`)
      : request.shallow
        ? pkt("deepen 1\n")
        : "") +
    (request.filter ? pkt(`filter ${request.filter}\n`) : "") +
    request.wants.map((oid) => pkt(`want ${oid}\n`)).join("") +
    (request.clientShallows ?? []).map((oid) => pkt(`shallow ${oid}\n`)).join("") +
    (request.haves ?? []).map((oid) => pkt(`have ${oid}\n`)).join("") +
    pkt("done\n") +
    "0000"
  );
}

/**
 * The capabilities relbot asks a protocol v0/v1 server for, each only when advertised (some hosts abort on one they
 * did not offer). Without side-band the pack follows the acknowledgement raw; without `shallow` no depth is asked.
 */
const v0Wanted = ["side-band-64k", "ofs-delta", "shallow", "no-progress"];

/**
 * Protocol v0/v1 over stateless HTTP (gitprotocol-pack(5)), in one request: wants (the first carrying the
 * capabilities), shallows and depth, a flush, haves and `done`. Without multi_ack the server answers one NAK or ACK
 * and then the pack, so nothing is negotiated over several rounds.
 */
function v0Body(request: PackRequest, advertised: readonly string[]): string {
  const caps = v0Wanted.filter((cap) => advertised.includes(cap));
  const depth = request.depth ?? (request.shallow ? 1 : undefined);
  return (
    request.wants
      .map((oid, i) => pkt(`want ${oid}${i === 0 && caps.length ? ` ${caps.join(" ")}` : ""}\n`))
      .join("") +
    (advertised.includes("shallow")
      ? (request.clientShallows ?? []).map((oid) => pkt(`shallow ${oid}\n`)).join("") +
        (depth !== undefined ? pkt(`deepen ${depth}\n`) : "")
      : "") +
    "0000" +
    (request.haves ?? []).map((oid) => pkt(`have ${oid}\n`)).join("") +
    pkt("done\n")
  );
}

/**
 * Fetches the wanted objects into `gitdir/objects/pack/pack-<checksum>.pack` (not yet indexed), streaming the pack
 * to disk as it arrives in either protocol: memory stays flat whatever the pack's size.
 */
export async function fetchPack(request: PackRequest): Promise<FetchedPack> {
  const v0 = request.protocolV0;
  const controller = new AbortController();
  const response = await fetch(`${request.url.replace(/\/+$/, "")}/git-upload-pack`, {
    method: "POST",
    headers: {
      ...request.headers,
      ...traceHeaders(),
      "Content-Type": "application/x-git-upload-pack-request",
      Accept: "application/x-git-upload-pack-result",
      ...(v0 ? {} : { "Git-Protocol": "version=2" }),
    },
    body: v0 ? v0Body(request, v0.capabilities) : v2Body(request),
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new UploadPackHttpError(response.status);
  }
  const packDir = path.join(request.gitdir, "objects", "pack");
  await mkdir(packDir, { recursive: true });
  const temp = path.join(packDir, `tmp-relbot-${process.pid}-${Math.random().toString(36).slice(2)}.pack`);
  const file = await open(temp, "w");
  let kept = false;
  try {
    const reader = new PktReader(
      response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>,
      () => new RelbotError("git.pack_truncated", "the git server's answer was cut short"),
    );
    let chunks: AsyncGenerator<Buffer, boolean>;
    if (v0) {
      await skipToPackV0(reader);
      chunks = v0.capabilities.includes("side-band-64k") ? sideBand(reader) : reader.rest();
    } else {
      await skipToPackV2(reader);
      chunks = sideBand(reader);
    }
    const written = await writePack(chunks, file, request, controller);
    if ("tooLarge" in written) return written;
    await file.close();
    const packFile = path.join(packDir, `pack-${written.checksum}.pack`);
    await rename(temp, packFile);
    kept = true;
    return { packFile };
  } finally {
    if (!kept) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
  }
}

/** Protocol v2: sections before the pack (shallow-info, acknowledgments) end in a delimiter; "packfile" starts it. */
async function skipToPackV2(reader: PktReader): Promise<void> {
  for (;;) {
    const line = await reader.next();
    if (line === null) throw new RelbotError("source.unreachable", "upload-pack sent no packfile");
    if (line === "flush" || line === "delim") continue;
    const text = line.toString("utf8");
    if (text.startsWith("ERR "))
      throw new RelbotError("source.unreachable", `upload-pack: ${text.slice(4).trim()}`);
    if (text === "packfile\n") return;
  }
}

/** Protocol v0: shallow/unshallow lines and their flush, then one NAK or ACK; the pack follows. */
async function skipToPackV0(reader: PktReader): Promise<void> {
  for (;;) {
    const line = await reader.next();
    if (line === null) throw new RelbotError("source.unreachable", "upload-pack sent no pack");
    if (line === "flush" || line === "delim") continue;
    const text = line.toString("utf8");
    if (text.startsWith("ERR "))
      throw new RelbotError("source.unreachable", `upload-pack: ${text.slice(4).trim()}`);
    if (text.startsWith("NAK") || text.startsWith("ACK ")) return;
    if (!text.startsWith("shallow ") && !text.startsWith("unshallow "))
      throw new RelbotError("source.unreachable", "upload-pack sent an unexpected line before the pack");
  }
}

/**
 * The pack's bytes from side-band band 1 (band 2 is progress, band 3 an error); returns whether the closing flush
 * came, i.e. whether the answer ended as the server meant it to.
 */
async function* sideBand(reader: PktReader): AsyncGenerator<Buffer, boolean> {
  for (;;) {
    const line = await reader.next();
    if (line === null) return false;
    if (line === "flush") return true;
    if (line === "delim") continue;
    const band = line[0];
    const data = line.subarray(1);
    if (band === 3) throw new RelbotError("source.unreachable", `upload-pack: ${data.toString().trim()}`);
    if (band === 1) yield data;
  }
}

/**
 * Streams the pack's bytes into `file`, checking the caps as they come (git.maxPackBytes, the object count, the
 * first object's size) and its SHA-1 trailer at the end. Returns the checksum (hex), or the first object's size
 * when it is over `maxFirstObjectBytes` (then the download was stopped).
 */
async function writePack(
  chunks: AsyncGenerator<Buffer, boolean>,
  file: FileHandle,
  request: PackRequest,
  controller: AbortController,
): Promise<{ checksum: string } | { tooLarge: number }> {
  const maxPackBytes = request.maxPackBytes ?? defaultMaxPackBytes;
  const hash = createHash("sha1");
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  let checked = request.maxFirstObjectBytes === undefined;
  let counted = request.maxObjects === undefined;
  let start = Buffer.alloc(0);
  let received = 0;
  let ended: boolean;
  for (;;) {
    const next = await chunks.next();
    if (next.done) {
      ended = next.value;
      break;
    }
    const data = next.value;
    received += data.length;
    if (received > maxPackBytes) {
      controller.abort();
      throw packTooLarge(maxPackBytes);
    }
    if (!counted) {
      start = Buffer.concat([start, data]);
      if (start.length >= 12) {
        counted = true;
        const count = start.readUInt32BE(8);
        if (count > request.maxObjects!) {
          controller.abort();
          throw new TooManyObjects(count);
        }
      }
    }
    if (!checked) {
      head = Buffer.concat([head, data]);
      const size = firstObjectSize(head);
      if (size !== undefined) {
        checked = true;
        if (size > request.maxFirstObjectBytes!) {
          controller.abort();
          return { tooLarge: size };
        }
      }
    }
    // The last 20 bytes are the pack's checksum over everything before them.
    const joined = Buffer.concat([tail, data]);
    const body = joined.subarray(0, Math.max(0, joined.length - 20));
    tail = joined.subarray(body.length);
    hash.update(body);
    await file.write(body);
  }
  if (tail.length !== 20 || !hash.digest().equals(tail)) {
    // Without the closing flush the answer stopped early (a dropped connection); with it, the bytes are wrong.
    throw ended
      ? new RelbotError("git.pack_corrupt", "the git server sent a corrupt pack: its checksum does not match")
      : new RelbotError("git.pack_truncated", "the git server's answer ended inside the pack");
  }
  await file.write(tail);
  return { checksum: tail.toString("hex") };
}

/** Most refs one ls-refs answer may carry: a prefix names one branch or a handful of tags. */
const MAX_LISTED_REFS = 10_000;

/**
 * Protocol v2 `ls-refs` limited to `prefix` (one POST): ref name -> object id. Asking for one branch costs one
 * line whatever the number of branches and tags on the server.
 */
export async function lsRefs(
  url: string,
  headers: Record<string, string>,
  prefix: string,
): Promise<Map<string, string>> {
  const body = `${pkt("command=ls-refs\n")}0001${pkt(`ref-prefix ${prefix}\n`)}0000`;
  const response = await fetch(`${url.replace(/\/+$/, "")}/git-upload-pack`, {
    method: "POST",
    headers: {
      ...headers,
      ...traceHeaders(),
      "Content-Type": "application/x-git-upload-pack-request",
      Accept: "application/x-git-upload-pack-result",
      "Git-Protocol": "version=2",
    },
    body,
  });
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new UploadPackHttpError(response.status);
  }
  const refs = new Map<string, string>();
  const reader = new PktReader(response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>);
  for (;;) {
    const line = await reader.next();
    if (line === null || line === "flush") break;
    if (line === "delim") continue;
    const text = line.toString("utf8").trimEnd();
    if (text.startsWith("ERR ")) throw new RelbotError("source.unreachable", `upload-pack: ${text.slice(4)}`);
    const [oid, name] = text.split(" ");
    if (!oid || !name || !/^[0-9a-f]{40}$/.test(oid)) {
      throw new RelbotError("source.unreachable", "upload-pack sent a bad ls-refs line");
    }
    if (refs.size >= MAX_LISTED_REFS)
      throw new RelbotError("source.unreachable", "upload-pack listed too many refs");
    refs.set(name, oid);
  }
  return refs;
}

/** The size in the first entry header after the 12-byte pack header, or undefined until enough bytes arrived. */
function firstObjectSize(head: Buffer): number | undefined {
  if (head.length < 13) return undefined;
  if (head.toString("latin1", 0, 4) !== "PACK") throw new RelbotError("source.unreachable", "not a pack");
  let at = 12;
  let byte = head[at++]!;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    if (at >= head.length) return undefined;
    byte = head[at++]!;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  return size;
}

/** pkt-lines from a byte stream: data as a Buffer, "flush" (0000), "delim" (0001), null at the end. */
class PktReader {
  private buffer = Buffer.alloc(0);
  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly cutShort: () => Error = () =>
      new RelbotError("source.unreachable", "upload-pack answer cut short"),
  ) {}

  async next(): Promise<Buffer | "flush" | "delim" | null> {
    if (!(await this.fill(4))) return null;
    const length = Number.parseInt(this.buffer.toString("latin1", 0, 4), 16);
    if (Number.isNaN(length)) throw new RelbotError("source.unreachable", "upload-pack sent a bad pkt-line");
    if (length === 0 || length === 1 || length === 2) {
      this.buffer = this.buffer.subarray(4);
      return length === 1 ? "delim" : "flush";
    }
    if (!(await this.fill(length))) throw this.cutShort();
    const line = this.buffer.subarray(4, length);
    this.buffer = this.buffer.subarray(length);
    return line;
  }

  /**
   * What follows the pkt-lines as raw bytes (a protocol v0 pack without side-band), to the end of the answer;
   * returns false: a raw pack has no closing flush to tell a complete answer from a cut one.
   */
  async *rest(): AsyncGenerator<Buffer, boolean> {
    if (this.buffer.length > 0) yield this.buffer;
    this.buffer = Buffer.alloc(0);
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) return false;
      yield Buffer.from(value);
    }
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffer.length < n) {
      const { value, done } = await this.reader.read();
      if (done) return false;
      this.buffer = this.buffer.length === 0 ? Buffer.from(value) : Buffer.concat([this.buffer, value]);
    }
    return true;
  }
}

/** Pack entry type numbers (pack-format.txt). */
export const packTypes = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

/**
 * The first entry of a pack on disk whose type has a cap in `limits` and whose size is over it, or null. Each
 * entry's compressed data is skipped by streaming it through zlib with the output thrown away, so memory stays
 * flat and the event loop free however big an entry is; meant for small packs (a tag and its commit).
 */
export async function oversizedEntry(
  packFile: string,
  limits: Partial<Record<number, number>>,
): Promise<{ type: number; size: number } | null> {
  try {
    return await scanEntries(packFile, limits);
  } catch (error) {
    // A pack this cannot walk is refused like one the indexer refuses: with the code, and deleted.
    await rm(packFile, { force: true });
    if (error instanceof RelbotError) throw error;
    throw malformedPack(`${path.basename(packFile)}: ${(error as Error).message}`);
  }
}

async function scanEntries(
  packFile: string,
  limits: Partial<Record<number, number>>,
): Promise<{ type: number; size: number } | null> {
  const handle = await open(packFile, "r");
  try {
    const header = Buffer.alloc(12);
    await handle.read(header, 0, 12, 0);
    const { size: fileSize } = await handle.stat();
    if (header.toString("latin1", 0, 4) !== "PACK")
      throw malformedPack(`${path.basename(packFile)} is not a pack`);
    const count = header.readUInt32BE(8);
    if (count > (fileSize - 32) / 2)
      throw malformedPack(`${path.basename(packFile)}: object count ${count} does not fit the file`);
    let position = 12;
    for (let i = 0; i < count; i++) {
      const head = Buffer.alloc(32);
      const { bytesRead } = await handle.read(head, 0, 32, position);
      let at = 0;
      let byte = head[at++]!;
      const type = (byte >> 4) & 7;
      let size = byte & 0x0f;
      let shift = 4;
      while (byte & 0x80 && at < bytesRead) {
        byte = head[at++]!;
        size += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      }
      const limit = limits[type];
      if (limit !== undefined && size > limit) return { type, size };
      if (type === 6) while (head[at++]! & 0x80) {}
      else if (type === 7) at += 20;
      position += at + (await compressedLength(handle, position + at));
    }
    return null;
  } finally {
    await handle.close();
  }
}

/** How many bytes the zlib stream starting at `position` takes, found by inflating it into nothing. */
function compressedLength(handle: Awaited<ReturnType<typeof open>>, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const inflate = zlib.createInflate();
    let offset = position;
    let ended = false;
    inflate.on("data", () => undefined);
    inflate.on("error", (error) => {
      if (!ended) reject(error);
    });
    inflate.on("end", () => {
      ended = true;
      // Bytes the engine consumed: the stream's own length, not what was read past it.
      resolve(inflate.bytesWritten);
    });
    const pump = async () => {
      while (!ended) {
        const chunk = Buffer.alloc(64 * 1024);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        if (bytesRead === 0) {
          // Out of input: a complete stream still ends ("end" above); a cut one fails.
          inflate.end();
          return;
        }
        offset += bytesRead;
        await new Promise<void>((done) => inflate.write(chunk.subarray(0, bytesRead), () => done()));
      }
    };
    pump().catch(reject);
  });
}
