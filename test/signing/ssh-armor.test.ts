// SSH signature armor and SSHSIG blobs bent the ways an attacker would bend them, each judged by relbot and by the
// real ssh-keygen (-Y verify, what git runs): relbot refuses everything ssh-keygen refuses, and a hostile armor
// of 48,000 BEGIN lines is refused in one pass instead of stalling the process in a backtracking regex.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllowedSigners } from "../../src/signing/allowed-signers.ts";
import { verifySshSignature } from "../../src/signing/index.ts";
import { makeSshKey, type SshKey } from "../support/keys.ts";
import { sshSign } from "../support/tag-objects.ts";

const dir = mkdtempSync(path.join(tmpdir(), "relbot-ssh-armor-"));
let key: SshKey;
let ecdsa: SshKey;
const payload = "object 0123456789abcdef0123456789abcdef01234567\ntype commit\ntag v1.0.0\n\nrelease\n";

beforeAll(() => {
  key = makeSshKey({ type: "ed25519", principal: "ci@example.com" });
  ecdsa = makeSshKey({ type: "ecdsa", principal: "ci@example.com" });
});
afterAll(() => {
  key?.dispose();
  ecdsa?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** relbot's verdict code for `armored` over the payload. */
function relbot(armored: string, signer = key): string {
  const verdict = verifySshSignature(new TextEncoder().encode(payload), armored, {
    allowedSigners: parseAllowedSigners(`${signer.allowedSignersLine}\n`).signers,
    allowedSignersFile: "allowed_signers",
    at: Date.now(),
  });
  return verdict.ok ? "ok" : verdict.failure.code;
}

/** Whether `ssh-keygen -Y verify` (as git calls it) accepts `armored` over the payload. */
function sshKeygenAccepts(armored: string, signer = key): boolean {
  const allowed = path.join(dir, "allowed_signers");
  const sig = path.join(dir, "sig");
  writeFileSync(allowed, `${signer.allowedSignersLine}\n`);
  writeFileSync(sig, armored);
  const result = spawnSync(
    "ssh-keygen",
    ["-Y", "verify", "-f", allowed, "-I", signer.principal, "-n", "git", "-s", sig],
    { input: payload },
  );
  return result.status === 0;
}

const blobOf = (armored: string) => Buffer.from(armored.split("\n").slice(1, -2).join(""), "base64");
/** Armor as ssh-keygen writes it: 70 base64 characters a line. */
function armor(blob: Buffer): string {
  const lines = blob.toString("base64").match(/.{1,70}/g)!;
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join("\n")}\n-----END SSH SIGNATURE-----\n`;
}
/** The SSHSIG blob with `extra` bytes after its last field (the signature). */
function withTrailing(blob: Buffer, extra: Buffer): Buffer {
  return Buffer.concat([blob, extra]);
}

describe("the armor is read as strictly as ssh-keygen reads it", () => {
  test("a good signature passes both (the baseline every case below changes one thing of)", () => {
    const good = sshSign(key, payload);
    expect(sshKeygenAccepts(good)).toBe(true);
    expect(relbot(good)).toBe("ok");
    expect(relbot(armor(blobOf(good)))).toBe("ok");
  });

  test("CRLF armor is refused", () => {
    const crlf = sshSign(key, payload).replace(/\n/g, "\r\n");
    expect(sshKeygenAccepts(crlf)).toBe(false);
    expect(relbot(crlf)).toBe("signature.malformed");
  });

  test("trailing bytes after the signature inside the SSHSIG blob are refused", () => {
    const blob = blobOf(sshSign(key, payload));
    const forged = armor(withTrailing(blob, Buffer.from("smuggled")));
    expect(sshKeygenAccepts(forged)).toBe(false);
    expect(relbot(forged)).toBe("signature.malformed");
  });

  test("trailing bytes inside the signature itself are refused (ed25519 and ecdsa)", () => {
    for (const signer of [key, ecdsa]) {
      const blob = blobOf(sshSign(signer, payload));
      // The signature is the blob's last SSH string: [len][type][len][sig]; grow it by 4 bytes of junk.
      const sigStart = lastStringStart(blob);
      const inner = blob.subarray(sigStart + 4);
      const grown = Buffer.concat([inner, Buffer.from([0, 0, 0, 0])]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(grown.length);
      const forged = armor(Buffer.concat([blob.subarray(0, sigStart), length, grown]));
      expect(sshKeygenAccepts(forged, signer)).toBe(false);
      expect(relbot(forged, signer)).toBe("signature.malformed");
    }
  });

  test("a character outside base64 in the body is refused", () => {
    const good = sshSign(key, payload);
    const lines = good.split("\n");
    lines[2] = `${lines[2]!.slice(0, 10)}!${lines[2]!.slice(11)}`;
    const bad = lines.join("\n");
    expect(sshKeygenAccepts(bad)).toBe(false);
    expect(relbot(bad)).toBe("signature.malformed");
  });

  test("relbot is stricter where ssh-keygen shrugs: text after the footer is refused", () => {
    const appended = `${sshSign(key, payload)}and more\n`;
    expect(sshKeygenAccepts(appended)).toBe(true);
    expect(relbot(appended)).toBe("signature.malformed");
  });

  test("a 1.4 MB armor of one BEGIN line and 48,000 more is refused in one pass", () => {
    // Each extra BEGIN sits mid-line, so git still sees one signature block; a lazy regex from every BEGIN to a
    // missing END would scan the rest of the block 48,000 times (minutes on one core).
    const hostile = `-----BEGIN SSH SIGNATURE-----\n${"x-----BEGIN SSH SIGNATURE-----\n".repeat(48_000)}`;
    expect(hostile.length).toBeGreaterThan(1_400_000);
    expect(relbot(hostile)).toBe("signature.malformed");
  });
});

/** Offset of the length prefix of the last SSH string in an SSHSIG blob (the signature). */
function lastStringStart(blob: Buffer): number {
  let at = 6 + 4; // "SSHSIG" + version
  let start = at;
  while (at < blob.length) {
    start = at;
    at += 4 + blob.readUInt32BE(at);
  }
  return start;
}
