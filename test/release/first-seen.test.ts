// Keys are judged at the moment relbot first sees a tag, not at the tagger or signature time the signer writes:
// a retired key cannot release by back-dating, OpenPGP and SSH agree, a verified release stays verified when its
// key retires later, and the tagger date itself must be close to that moment.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, type RelbotConfig } from "../../src/config/index.ts";
import { recordRelease, SourceRepos, type TagVerdict, verifyTag } from "../../src/release/index.ts";
import { type Database, openDatabase } from "../../src/store/index.ts";
import { commitFiles, makeWorkRepo } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { type GpgKey, makeGpgKey, makeSshKey, type SshKey } from "../support/keys.ts";
import { writeTestConfig } from "../support/relbot-config.ts";
import { gpgSign, setTagRef, sshSign, tagPayload, writeTagObject } from "../support/tag-objects.ts";

const auth = { username: "x-access-token", password: "source-token" };
const hour = 3_600_000;
const day = 24 * hour;
const start = Date.now();
const cacheDir = mkdtempSync(path.join(tmpdir(), "relbot-first-seen-"));
let server: GitServer;
let config: RelbotConfig;
let database: Database;
let sources: SourceRepos;
let work: string;
let url: string;
let commit: string;
/** valid-before yesterday: a key the team retired. */
let retiredSsh: SshKey;
/** valid-before an hour from now: still good today. */
let expiringSsh: SshKey;
let currentSsh: SshKey;
/** Created three days ago, expired yesterday. */
let retiredGpg: GpgKey;
/** Expires a day from now. */
let expiringGpg: GpgKey;

/** "YYYYMMDDHHMMZ" for allowed_signers. */
const sshTime = (t: number) => `${new Date(t).toISOString().replace(/[-:T]/g, "").slice(0, 12)}Z`;
/** gpg's --faked-system-time form, "YYYYMMDDTHHMMSS" (UTC). */
const gpgTime = (t: number) => new Date(t).toISOString().replace(/[-:]/g, "").slice(0, 15);

/** Writes a tag signed by `key` with the given tagger time (and, for gpg, signature time), and pushes it. */
async function tag(name: string, key: SshKey | GpgKey, time: number) {
  const payload = tagPayload({ object: commit, tag: name, time: Math.floor(time / 1000) });
  const signature = key.kind === "ssh" ? sshSign(key, payload) : gpgSign(key, payload, gpgTime(time));
  setTagRef(work, name, writeTagObject(work, payload + signature));
  await gitAsync(work, [
    "push",
    "--quiet",
    "--force",
    withCredentials(url, auth.username, auth.password),
    `refs/tags/${name}`,
  ]);
}

const verify = (name: string, now = Date.now()) =>
  verifyTag({ config, sources, db: database.db, now: () => now }, "svc", name);
const codes = (v: TagVerdict) => v.reasons.map((r) => r.code);

beforeAll(async () => {
  server = await startGitServer({ auth });
  url = server.createRepo("svc.git");
  work = makeWorkRepo();
  commit = commitFiles(work, { "go.mod": "module example.com/svc\n\ngo 1.22\n" });
  await gitAsync(work, ["push", "--quiet", withCredentials(url, auth.username, auth.password), "main"]);
  retiredSsh = makeSshKey({ principal: "retired@example.com" });
  expiringSsh = makeSshKey({ principal: "expiring@example.com" });
  currentSsh = makeSshKey({ principal: "current@example.com" });
  retiredGpg = makeGpgKey({
    email: "retired@example.com",
    createdAt: gpgTime(start - 3 * day),
    expire: "2d",
  });
  expiringGpg = makeGpgKey({ email: "expiring@example.com", expire: "1d" });
  const file = writeTestConfig({
    gitopsUrl: `${server.url}/gitops.git`,
    signers: { team: { openpgp: ["retired.asc", "expiring.asc"], ssh: "allowed_signers" } },
    files: {
      "retired.asc": retiredGpg.publicKey,
      "expiring.asc": expiringGpg.publicKey,
      allowed_signers: [
        `${retiredSsh.principal} valid-before="${sshTime(start - day)}" ${retiredSsh.publicKey}`,
        `${expiringSsh.principal} valid-before="${sshTime(start + hour)}" ${expiringSsh.publicKey}`,
        currentSsh.allowedSignersLine,
        "",
      ].join("\n"),
    },
    apps: {
      svc: {
        repo: url,
        module: "example.com/svc",
        signers: "team",
        environments: [{ name: "dev", file: "envs/dev.yaml" }],
      },
    },
  });
  config = loadConfig({ file, env: {} }).config;
  database = await openDatabase(config.database.path);
  sources = new SourceRepos({ cacheDir, credential: auth.password });
});

afterAll(async () => {
  database?.close();
  for (const key of [retiredSsh, expiringSsh, currentSsh, retiredGpg, expiringGpg]) key?.dispose();
  await server?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("a retired key cannot release by back-dating", () => {
  test("an SSH key past its valid-before signs a new tag dated two days back: refused as key-expired", async () => {
    await tag("v1.0.0", retiredSsh, Date.now() - 2 * day);
    const verdict = await verify("v1.0.0");
    expect(codes(verdict)).toEqual(["signature.key-expired"]);
    expect(verdict.reasons[0]!.message).toContain("first saw the tag");
  });

  test("an OpenPGP key that expired yesterday, tag and signature dated two days back: refused the same way", async () => {
    await tag("v1.0.1", retiredGpg, Date.now() - 2 * day);
    expect(codes(await verify("v1.0.1"))).toEqual(["signature.key-expired"]);
  });
});

describe("a verified release stays verified", () => {
  test.each([
    ["SSH, valid-before an hour from now", "v1.1.0", "v1.1.8", () => expiringSsh, 2 * hour],
    ["OpenPGP, expiring a day from now", "v1.1.1", "v1.1.9", () => expiringGpg, 2 * day],
  ] as const)(
    "%s: re-checked after the key retired, the verdict is the same",
    async (_what, name, lateName, key, later) => {
      await tag(name, key(), Date.now());
      const first = await verify(name);
      expect(codes(first)).toEqual([]);
      const row = recordRelease(database.db, first, { source: "webhook" }, first.firstSeenAt!);
      expect(row.firstSeenAt).toBe(first.firstSeenAt);
      // Later, the key has retired: the same tag object is still judged at the moment it was first seen.
      const again = await verify(name, Date.now() + later);
      expect(again).toMatchObject({ ok: true, alreadyVerified: true, firstSeenAt: first.firstSeenAt });
      // A tag object relbot had never seen, by the same key at that later time, is refused.
      await tag(lateName, key(), Date.now());
      expect(codes(await verify(lateName, Date.now() + later))).toEqual(["signature.key-expired"]);
    },
  );
});

describe("the tagger date is close to when relbot first sees the tag", () => {
  test.each([
    ["two hours ahead", "v1.2.0", 2 * hour, ["tag.date-skew"]],
    ["half an hour ahead", "v1.2.1", 0.5 * hour, []],
    ["29 days back", "v1.2.2", -29 * day, []],
    ["31 days back (releaseChecks.maxTagAge, 720h by default)", "v1.2.3", -31 * day, ["tag.date-skew"]],
  ] as const)("%s", async (_what, name, offset, expected) => {
    await tag(name, currentSsh, Date.now() + offset);
    expect(codes(await verify(name))).toEqual([...expected]);
  });
});
