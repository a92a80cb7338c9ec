// Release checks against real repositories served over HTTP, with tags signed by the real gpg and ssh-keygen.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import path from "node:path";
import pino from "pino";
import { loadConfig, type RelbotConfig } from "../../src/config/index.ts";
import { recordRelease, SourceRepos, type TagVerdict, verifyTag } from "../../src/release/index.ts";
import { auditEvents, type Database, openDatabase, releases } from "../../src/store/index.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { type GpgKey, makeGpgKey, makeSshKey, type SshKey, signedTag } from "../support/keys.ts";
import { writeTestConfig } from "../support/relbot-config.ts";
import {
  gpgSign,
  readTagObject,
  setTagRef,
  sshSign,
  tagPayload,
  writeTagObject,
} from "../support/tag-objects.ts";
import { tempDir } from "../support/temp-dir.ts";

const auth = { username: "x-access-token", password: "source-token" };
let server: GitServer;
let config: RelbotConfig;
let database: Database;
let sources: SourceRepos;
const warnings: any[] = [];
const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });

let gpgKey: GpgKey;
let expiredKey: GpgKey;
let stranger: GpgKey;
let ssh: Record<"ed25519" | "ecdsa" | "rsa", SshKey>;

/** Repositories by name: a work tree to tag in, and its URL on the server. */
const repos: Record<string, { work: string; url: string; commits: Record<string, string> }> = {};

const gomod = (module: string, extra = "") => `module ${module}\n\ngo 1.21\n${extra}`;

async function push(name: string, ...refs: string[]) {
  const { work, url } = repos[name]!;
  await gitAsync(work, [
    "push",
    "--quiet",
    "--force",
    withCredentials(url, auth.username, auth.password),
    ...refs,
  ]);
}

function makeRepo(name: string, history: [label: string, files: Record<string, string>][]) {
  const work = makeWorkRepo();
  const commits: Record<string, string> = {};
  for (const [label, files] of history) commits[label] = commitFiles(work, files, label);
  repos[name] = { work, url: server.createRepo(`${name}.git`), commits };
  return repos[name]!;
}

const verify = (app: string, tag: string) =>
  verifyTag({ config, sources, db: database.db, logger }, app, tag);
const codes = (v: TagVerdict): string[] => v.reasons.map((r) => r.code);

beforeAll(async () => {
  server = await startGitServer({ auth });
  gpgKey = makeGpgKey({ email: "release@example.com" });
  expiredKey = makeGpgKey({ email: "old@example.com", createdAt: "20200101T000000", expire: "1d" });
  stranger = makeGpgKey({ email: "stranger@example.com" });
  ssh = {
    ed25519: makeSshKey({ type: "ed25519", principal: "ed@example.com" }),
    ecdsa: makeSshKey({ type: "ecdsa", principal: "ec@example.com" }),
    rsa: makeSshKey({ type: "rsa", principal: "rsa@example.com" }),
  };

  const svc = makeRepo("order-svc", [
    ["v1", { "go.mod": gomod("example.com/order-svc"), "main.go": "package main\n" }],
    ["other-module", { "go.mod": gomod("example.com/not-order-svc") }],
    [
      "retracting",
      { "go.mod": gomod("example.com/order-svc", "\n// leaked a credential\nretract v1.11.0\n") },
    ],
    ["v1-again", { "go.mod": gomod("example.com/order-svc") }],
    ["v2", { "go.mod": gomod("example.com/order-svc/v2") }],
  ]);
  const c = svc.commits;
  signedTag(svc.work, "v1.0.0", gpgKey, { target: c.v1 });
  signedTag(svc.work, "v1.1.0", ssh.ed25519, { target: c.v1 });
  signedTag(svc.work, "v1.2.0", ssh.ecdsa, { target: c.v1 });
  signedTag(svc.work, "v1.3.0", ssh.rsa, { target: c.v1 });
  git(svc.work, ["tag", "-a", "-m", "unsigned", "v1.4.0", c.v1!]);
  git(svc.work, ["tag", "v1.5.0", c.v1!]);
  signedTag(svc.work, "v1.6.0", stranger, { target: c.v1 });
  // Tampered: the message is changed after signing, the signature kept.
  const signed = new TextDecoder().decode(
    readTagObject(svc.work, signedTag(svc.work, "v1.7.0", gpgKey, { target: c.v1 })),
  );
  setTagRef(
    svc.work,
    "v1.7.0",
    writeTagObject(svc.work, signed.replace("release v1.7.0", "release v1.7.0 (hotfix)")),
  );
  // Signed with ssh-keygen -Y sign -n file, then assembled as a tag.
  const filePayload = tagPayload({ object: c.v1!, tag: "v1.8.0" });
  setTagRef(
    svc.work,
    "v1.8.0",
    writeTagObject(svc.work, filePayload + sshSign(ssh.ed25519, filePayload, "file")),
  );
  // Signed in 2020 while the key was valid; it expired the next day.
  const oldPayload = tagPayload({ object: c.v1!, tag: "v1.9.0", time: 1577880000 });
  setTagRef(
    svc.work,
    "v1.9.0",
    writeTagObject(svc.work, oldPayload + gpgSign(expiredKey, oldPayload, "20200101T120000")),
  );
  signedTag(svc.work, "v1.10.0", gpgKey, { target: c["other-module"] });
  signedTag(svc.work, "v1.11.0", gpgKey, { target: c.retracting });
  signedTag(svc.work, "v1.11.1", gpgKey, { target: c.retracting });
  signedTag(svc.work, "v2.0.0", gpgKey, { target: c["v1-again"] });
  signedTag(svc.work, "v2.1.0", ssh.ed25519, { target: c.v2 });
  signedTag(svc.work, "v3.0.0", stranger, { target: c.v2 });
  // A signed tag object made for v1.0.0, pushed under another name.
  setTagRef(svc.work, "v1.13.0", git(svc.work, ["rev-parse", "refs/tags/v1.0.0"]));
  for (const name of ["v1.2", "1.2.3", "v1.2.3+build.1", "v01.2.3"])
    signedTag(svc.work, name, gpgKey, { target: c.v1 });
  await push("order-svc", "main", "--tags");

  const mono = makeRepo("mono", [
    ["init", { "go.mod": gomod("example.com/mono"), "api/go.mod": gomod("example.com/mono/api") }],
  ]);
  signedTag(mono.work, "api/v1.0.0", ssh.ed25519);
  signedTag(mono.work, "api/v2.0.0", ssh.ed25519);
  signedTag(mono.work, "v1.0.0", ssh.ed25519);
  await push("mono", "main", "--tags");

  const yaml = makeRepo("yaml", [["init", { "go.mod": gomod("gopkg.in/yaml.v3") }]]);
  signedTag(yaml.work, "v3.0.0", gpgKey);
  signedTag(yaml.work, "v2.0.0", gpgKey);
  await push("yaml", "main", "--tags");

  const bare = makeRepo("no-gomod", [["init", { "README.md": "not go\n" }]]);
  signedTag(bare.work, "v0.1.0", gpgKey);
  await push("no-gomod", "main", "--tags");

  const files = {
    "keys/release.asc": gpgKey.publicKey,
    "keys/old.asc": expiredKey.publicKey,
    allowed_signers: `${Object.values(ssh)
      .map((k) => k.allowedSignersLine)
      .join("\n")}\n`,
  };
  const app = (repo: string, module: string, extra: Record<string, unknown> = {}) => ({
    repo: repos[repo]!.url,
    module,
    signers: "team",
    environments: [{ name: "dev", file: "envs/dev.yaml" }],
    ...extra,
  });
  const file = writeTestConfig({
    gitopsUrl: `${server.url}/gitops.git`,
    signers: { team: { openpgp: ["keys/release.asc", "keys/old.asc"], ssh: "allowed_signers" } },
    files,
    apps: {
      "order-svc": app("order-svc", "example.com/order-svc"),
      api: app("mono", "example.com/mono/api", { dir: "api" }),
      yaml: app("yaml", "gopkg.in/yaml"),
      "no-gomod": app("no-gomod", "example.com/no-gomod"),
    },
  });
  config = loadConfig({ file, env: {} }).config;
  database = await openDatabase(config.database.path);
  sources = new SourceRepos({
    cacheDir: path.join(tempDir("relbot-cache-"), "sources"),
    credential: auth.password,
  });
});

afterAll(async () => {
  database?.close();
  for (const key of [gpgKey, expiredKey, stranger, ...Object.values(ssh ?? {})]) key?.dispose();
  await server?.close();
});

describe("tags that pass", () => {
  test("an OpenPGP-signed tag: version, module, tag object, commit, tagger, signer", async () => {
    const verdict = await verify("order-svc", "v1.0.0");
    const { work, commits } = repos["order-svc"]!;
    expect(verdict).toEqual({
      ok: true,
      app: "order-svc",
      tagName: "v1.0.0",
      version: "v1.0.0",
      module: "example.com/order-svc",
      tagObject: git(work, ["rev-parse", "refs/tags/v1.0.0"]),
      commit: commits.v1!,
      tagger: { name: "Release Tester", email: "tester@example.com", time: expect.any(Number) },
      signer: {
        format: "openpgp",
        identity: "Release Team <release@example.com>",
        fingerprint: gpgKey.fingerprint,
      },
      reasons: [],
      firstSeenAt: expect.any(Number),
      alreadyVerified: false,
    });
  });

  test.each([
    ["v1.1.0", "ed25519", "ed@example.com"],
    ["v1.2.0", "ecdsa", "ec@example.com"],
    ["v1.3.0", "rsa", "rsa@example.com"],
  ] as const)("%s signed by an SSH %s key", async (tag, _type, principal) => {
    const verdict = await verify("order-svc", tag);
    expect(codes(verdict)).toEqual([]);
    expect(verdict.signer).toMatchObject({
      format: "ssh",
      identity: principal,
      fingerprint: expect.stringMatching(/^SHA256:/),
    });
  });

  test("v2 with the /v2 suffix, a sub-directory module, and gopkg.in", async () => {
    expect((await verify("order-svc", "v2.1.0")).module).toBe("example.com/order-svc/v2");
    const api = await verify("api", "api/v1.0.0");
    expect(api).toMatchObject({ ok: true, version: "v1.0.0", module: "example.com/mono/api" });
    expect(await verify("yaml", "v3.0.0")).toMatchObject({ ok: true, module: "gopkg.in/yaml.v3" });
  });
});

describe("tags that are rejected, with every reason", () => {
  test.each([
    ["v1.4.0", ["signature.missing"]],
    ["v1.5.0", ["tag.lightweight"]],
    ["v1.6.0", ["signature.unknown-key"]],
    ["v1.7.0", ["signature.invalid"]],
    ["v1.8.0", ["signature.ssh-namespace"]],
    // Dated 2020: older than releaseChecks.maxTagAge when relbot first sees it, and its key has expired since.
    ["v1.9.0", ["tag.date-skew", "signature.key-expired"]],
    ["v1.10.0", ["gomod.module-path"]],
    ["v1.11.0", ["gomod.retracted"]],
    ["v2.0.0", ["gomod.module-path"]],
    // go.mod is not read for a tag whose signature fails, so its wrong module path goes unreported.
    ["v3.0.0", ["signature.unknown-key"]],
    ["v1.13.0", ["tag.name-mismatch"]],
    ["v1.2", ["tag.name"]],
    ["1.2.3", ["tag.name"]],
    ["v1.2.3+build.1", ["tag.name"]],
    ["v01.2.3", ["tag.name"]],
    ["v9.9.9", ["tag.not-found"]],
  ])("order-svc %s: %p", async (tag, expected) => {
    const verdict = await verify("order-svc", tag);
    expect(codes(verdict)).toEqual(expected);
    expect(verdict.ok).toBe(false);
    for (const reason of verdict.reasons) expect(reason.message.length).toBeGreaterThan(30);
  });

  test("the messages say what to fix", async () => {
    const [v2] = (await verify("order-svc", "v2.0.0")).reasons;
    expect(v2!.message).toContain('must declare "example.com/order-svc/v2"');
    const [retracted] = (await verify("order-svc", "v1.11.0")).reasons;
    expect(retracted!.message).toContain("leaked a credential");
    expect((await verify("order-svc", "v1.11.1")).ok).toBe(true);
    const [name] = (await verify("order-svc", "v1.2")).reasons;
    expect(name!.message).toContain('"v1.2.0"');
    const [lightweight] = (await verify("order-svc", "v1.5.0")).reasons;
    expect(lightweight!.message).toContain("git tag -s");
  });

  test("sub-directory modules: root tags are not theirs, and /vN applies there too", async () => {
    expect(codes(await verify("api", "v1.0.0"))).toEqual(["tag.name"]);
    expect(codes(await verify("api", "api/v2.0.0"))).toEqual(["gomod.module-path"]);
  });

  test("gopkg.in at the wrong major, and a commit without go.mod", async () => {
    expect(codes(await verify("yaml", "v2.0.0"))).toEqual(["gomod.module-path"]);
    expect(codes(await verify("no-gomod", "v0.1.0"))).toEqual(["gomod.missing"]);
  });

  test("an unknown app is an error, not a verdict", async () => {
    await expect(verify("nope", "v1.0.0")).rejects.toMatchObject({ code: "app.unknown" });
  });
});

describe("immutability", () => {
  test("the same object again is a no-op; a moved tag is rejected loudly and marks the release moved", async () => {
    const { work, commits } = repos["order-svc"]!;
    signedTag(work, "v1.12.0", gpgKey, { target: commits.v1 });
    await push("order-svc", "refs/tags/v1.12.0");
    const first = await verify("order-svc", "v1.12.0");
    expect(first).toMatchObject({ ok: true, alreadyVerified: false });
    const row = recordRelease(database.db, first, { source: "webhook", deliveryId: "d-1" }, 1_000);
    expect(row).toMatchObject({
      status: "verified",
      tagObject: first.tagObject,
      signer: "Release Team <release@example.com>",
    });

    const again = await verify("order-svc", "v1.12.0");
    expect(again).toMatchObject({ ok: true, alreadyVerified: true });
    const eventsBefore = database.db.select().from(auditEvents).all().length;
    expect(recordRelease(database.db, again, { source: "reconcile" }, 2_000).id).toBe(row.id);
    expect(database.db.select().from(auditEvents).all().length).toBe(eventsBefore);

    // Delete and re-create the tag on another commit, force-pushed.
    git(work, ["tag", "-d", "v1.12.0"]);
    signedTag(work, "v1.12.0", gpgKey, { target: commits["v1-again"] });
    await push("order-svc", "refs/tags/v1.12.0");
    warnings.length = 0;
    const moved = await verify("order-svc", "v1.12.0");
    expect(codes(moved)).toEqual(["tag.moved"]);
    expect(moved.reasons[0]!.message).toContain(first.tagObject!);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining("tag moved"),
        newTagObject: moved.tagObject,
      }),
    );
    const rejected = recordRelease(database.db, moved, { source: "webhook" }, 3_000);
    expect(rejected).toMatchObject({ status: "rejected", tagObject: moved.tagObject });
    const rows = database.db
      .select()
      .from(releases)
      .all()
      .filter((r) => r.version === "v1.12.0");
    expect(rows.map((r) => [r.status, r.tagState])).toEqual([
      ["verified", "moved"],
      ["rejected", "ok"],
    ]);
    const kinds = database.db
      .select()
      .from(auditEvents)
      .all()
      .map((e) => e.kind);
    expect(kinds.slice(-2)).toEqual(["release.verified", "release.rejected"]);
  });
});
