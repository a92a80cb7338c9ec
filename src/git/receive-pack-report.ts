/**
 * The body of a git-receive-pack response, read the way git reads it: pkt-lines, optionally multiplexed on
 * side-band (band 1 the report-status lines, band 2 the host's `remote:` messages, band 3 a fatal error), an
 * `ERR` packet in place of a report, and exact ref names in `ok <ref>` / `ng <ref> <reason>`.
 * Linear in the input, never throws on bad bytes: a stream that stops making sense ends the parse.
 */

export interface ReceivePackReport {
  /** "ok", or the server's unpack error; undefined when no report arrived. */
  unpack?: string;
  refs: Map<string, { ok: true } | { ok: false; reason: string }>;
  /** Band-2 text, one entry per line, without the "remote: " prefix git would print. */
  remote: string[];
  /** Band 3 or an ERR packet: the server gave up on the whole request. */
  fatal?: string;
}

const maxRemoteLines = 50;
const maxLineLength = 300;

/** Splits pkt-lines; flush/delim packets are skipped. Returns the payloads read before any malformed length. */
export function readPktLines(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const hex = Buffer.from(body.subarray(at, at + 4)).toString("latin1");
    if (!/^[0-9a-f]{4}$/i.test(hex)) break;
    const length = Number.parseInt(hex, 16);
    if (length < 4) {
      at += 4; // 0000 flush, 0001 delim, 0002 response-end
      continue;
    }
    if (at + length > body.length) break;
    out.push(body.subarray(at + 4, at + length));
    at += length;
  }
  return out;
}

export function readReceivePackResponse(body: Uint8Array, sideBand: boolean): ReceivePackReport {
  const report: ReceivePackReport = { refs: new Map(), remote: [] };
  const band1: Uint8Array[] = [];
  let band2 = "";
  for (const packet of readPktLines(body)) {
    const text = asText(packet);
    if (text.startsWith("ERR ")) {
      report.fatal = clean(text.slice(4));
      break;
    }
    if (!sideBand) {
      band1.push(packet);
      continue;
    }
    const band = packet[0];
    const data = packet.subarray(1);
    if (band === 1) band1.push(data);
    else if (band === 2) band2 += asText(data);
    else if (band === 3) {
      report.fatal = clean(asText(data));
      break;
    }
  }
  report.remote = remoteLines(band2);
  // With side-band the report is itself a pkt-line stream, cut into band-1 packets at arbitrary points.
  const lines = sideBand ? readPktLines(Buffer.concat(band1)).map(asText) : band1.map(asText);
  for (const raw of lines) {
    const line = raw.endsWith("\n") ? raw.slice(0, -1) : raw;
    if (line.startsWith("ERR ")) {
      report.fatal ??= clean(line.slice(4));
    } else if (line.startsWith("unpack ")) {
      report.unpack ??= clean(line.slice("unpack ".length));
    } else if (line.startsWith("ok ")) {
      // report-status v1: "ok <refname>" and nothing more. A ref name never contains a space.
      const ref = line.slice(3);
      if (!report.refs.has(ref)) report.refs.set(ref, { ok: true });
    } else if (line.startsWith("ng ")) {
      const rest = line.slice(3);
      const space = rest.indexOf(" ");
      const ref = space === -1 ? rest : rest.slice(0, space);
      const reason = space === -1 ? "refused" : clean(rest.slice(space + 1)) || "refused";
      if (!report.refs.has(ref)) report.refs.set(ref, { ok: false, reason });
    }
  }
  return report;
}

function asText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("utf8");
}

/** Band-2 text as lines: progress uses \r to redraw, so both \r and \n end a line; empties and excess dropped. */
function remoteLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const cleaned = clean(line);
    if (cleaned) lines.push(cleaned);
    if (lines.length >= maxRemoteLines) break;
  }
  return lines;
}

/** No control characters (a host's text ends up in logs and chat), bounded length. */
function clean(text: string): string {
  let out = "";
  for (const ch of text.slice(0, maxLineLength * 2)) {
    const code = ch.charCodeAt(0);
    if (code === 9) out += " ";
    else if (code >= 32 && code !== 127 && !(code >= 0x80 && code < 0xa0)) out += ch;
  }
  out = out.trim();
  return out.length > maxLineLength ? `${out.slice(0, maxLineLength)}...` : out;
}
