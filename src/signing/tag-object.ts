// A git tag object read from its raw bytes. isomorphic-git's readTag only recognises PGP signatures and
// normalises newlines, so the exact signed payload has to be cut out here, the way git does it
// (gpg-interface.c parse_signed_buffer): the signature starts at the last line that opens a known signature block.

export type SignatureFormat = "openpgp" | "ssh" | "x509";

export interface TagSignature {
  format: SignatureFormat;
  /** The armored signature block, as stored. */
  armored: string;
}

export interface Tagger {
  name: string;
  email: string;
  /** Unix milliseconds (git stores seconds). */
  time: number;
  /** "+0200" as written. */
  timezone: string;
}

export interface TagObject {
  /** The `object` header: what the tag points at. */
  object: string;
  /** The `type` header: "commit" for a release tag. */
  type: string;
  /** The `tag` header: the name the tag was made with, which must equal the ref name. */
  tag: string;
  tagger: Tagger | null;
  /** The message, signature removed. */
  message: string;
  /** The exact bytes that were signed: everything before the signature. */
  payload: Uint8Array;
  signature: TagSignature | null;
}

const signatureStarts: [string, SignatureFormat][] = [
  ["-----BEGIN PGP SIGNATURE-----", "openpgp"],
  ["-----BEGIN PGP MESSAGE-----", "openpgp"],
  ["-----BEGIN SSH SIGNATURE-----", "ssh"],
  ["-----BEGIN SIGNED MESSAGE-----", "x509"],
];

/**
 * The largest tag object relbot reads. git's own tags are a few hundred bytes plus a signature of at most a few
 * KiB; anything near this is not a release tag but an attempt to make the parser work. Checked before parsing.
 */
export const maxTagObjectBytes = 64 * 1024;

export class TagObjectError extends Error {}

/**
 * Parses a tag object's content (without the "tag <size>\0" header). Throws TagObjectError when malformed or over
 * maxTagObjectBytes. Every scan here is a single left-to-right pass (indexOf), never a regex over the object.
 */
export function parseTagObject(content: Uint8Array): TagObject {
  if (content.byteLength > maxTagObjectBytes)
    throw new TagObjectError(
      `tag object is ${content.byteLength} bytes, over the ${maxTagObjectBytes}-byte limit`,
    );
  // Header lines end at the first empty line.
  const headerEnd = findHeaderEnd(content);
  const headerText = new TextDecoder().decode(content.subarray(0, headerEnd));
  const headers = new Map<string, string>();
  for (const line of headerText.split("\n")) {
    if (line === "") continue;
    const space = line.indexOf(" ");
    if (space <= 0) throw new TagObjectError(`malformed tag header line "${line}"`);
    const key = line.slice(0, space);
    // The first occurrence wins, as in git's parser; a repeated header cannot smuggle in another name.
    if (!headers.has(key)) headers.set(key, line.slice(space + 1));
  }
  const object = headers.get("object");
  const type = headers.get("type");
  const tag = headers.get("tag");
  if (!object || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(object))
    throw new TagObjectError("tag has no object header");
  if (!type) throw new TagObjectError("tag has no type header");
  if (tag === undefined) throw new TagObjectError("tag has no tag header");

  const signatureAt = findSignatureStart(content, headerEnd);
  const payload = content.subarray(0, signatureAt);
  let signature: TagSignature | null = null;
  if (signatureAt < content.length) {
    const armored = new TextDecoder().decode(content.subarray(signatureAt));
    const format = signatureStarts.find(([start]) => armored.startsWith(start))![1];
    signature = { format, armored };
  }
  const bodyStart = headerEnd < content.length ? headerEnd + 1 : headerEnd;
  const message = new TextDecoder().decode(content.subarray(Math.min(bodyStart, signatureAt), signatureAt));
  return { object, type, tag, tagger: parseTagger(headers.get("tagger")), message, payload, signature };
}

/** Offset of the "\n" that ends the headers (the first of "\n\n"), or the content length. */
function findHeaderEnd(content: Uint8Array): number {
  for (let i = 0; i + 1 < content.length; i++) {
    if (content[i] === 0x0a && content[i + 1] === 0x0a) return i + 1;
  }
  return content.length;
}

/** git's parse_signed_buffer, restricted to the body: the offset of the last line starting a signature block. */
function findSignatureStart(content: Uint8Array, from: number): number {
  let match = content.length;
  let lineStart = from;
  while (lineStart < content.length) {
    if (startsSignature(content, lineStart)) match = lineStart;
    const eol = content.indexOf(0x0a, lineStart);
    lineStart = eol === -1 ? content.length : eol + 1;
  }
  return match;
}

function startsSignature(content: Uint8Array, at: number): boolean {
  for (const [start] of signatureStarts) {
    if (at + start.length > content.length) continue;
    let same = true;
    for (let i = 0; i < start.length; i++) {
      if (content[at + i] !== start.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

/** "Name <email> 1700000000 +0100": the email is between the first "<" and the next ">" (as git splits it). */
export function parseTagger(value: string | undefined): Tagger | null {
  if (!value) return null;
  const lt = value.indexOf("<");
  const gt = lt === -1 ? -1 : value.indexOf(">", lt + 1);
  if (gt === -1) return null;
  const name = value.slice(0, lt > 0 && value[lt - 1] === " " ? lt - 1 : lt);
  // What follows the email is short and fixed in shape; an anchored regex without nested repetition is linear.
  const date = /^ (\d{1,15}) ([+-]\d{4})$/.exec(value.slice(gt + 1));
  if (!date) return null;
  return { name, email: value.slice(lt + 1, gt), time: Number(date[1]) * 1000, timezone: date[2]! };
}
