// Issue 13 item 15 on the full service: every GitOps commit relbot makes carries Relbot-Audit-Head, and
// /api/v1/audit/verify checks the chain (HMACs under audit.keyEnv) against the heads found in the GitOps history.
// The attacker can write relbot's database but holds neither the audit key nor push access to the GitOps repo.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { parse, stringify } from "yaml";
import { hashEvent } from "../../src/audit/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import { type RunningRelbot, startRelbot } from "../../src/main.ts";
import { type AuditEventRow, auditEvents } from "../../src/store/index.ts";
import { eventually } from "../support/eventually.ts";
import { git } from "../support/git.ts";
import { deliver, readHeaders } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  gitopsAuthor,
  type PipelineWorld,
  promotionsOf,
  startPipelineRelbot,
  trailers,
} from "../support/release-pipeline.ts";

const auditKeyValue = "3f6c2b8e0d9a41f7b5c8e2a6d4f1b9c07e5a3d2c1b0f9e8d7c6b5a4f3e2d1c0b";

let world: PipelineWorld;
let relbot: RunningRelbot | undefined;

beforeAll(async () => {
  world = await createPipelineWorld();
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

function useAuditKey(envName: string | undefined): void {
  const raw = parse(readFileSync(world.configFile, "utf8"));
  if (envName) raw.audit = { keyEnv: envName };
  else delete raw.audit;
  writeFileSync(world.configFile, stringify(raw));
}

const db = () => relbot!.database.db;
const verify = async () => {
  const response = await fetch(`${relbot!.url}/api/v1/audit/verify`, { headers: readHeaders });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

async function releaseToDev(version: string): Promise<void> {
  world.publishGitHubRelease(version);
  const tagObject = await world.releaseTag(version);
  expect((await deliver(relbot!.url, "push", world.pushEvent(version, tagObject))).status).toBe(202);
  await eventually(`${version} in dev`, () =>
    promotionsOf(db(), "order-svc").find(
      (p) => p.env === "dev" && p.toVersion === version && p.status === "succeeded",
    ),
  );
}

/** The attacker's edit: one event's payload changed and every later hash recomputed as plain sha256 links. */
function rewriteAndRecompute(seq: number, payload: unknown): AuditEventRow[] {
  const rows = db().select().from(auditEvents).orderBy(auditEvents.seq).all();
  let prev = rows.find((row) => row.seq === seq - 1)?.hash ?? "0".repeat(64);
  for (const row of rows.filter((r) => r.seq >= seq)) {
    const changed = row.seq === seq ? { ...row, payload } : row;
    const hash = hashEvent(prev, changed);
    db()
      .update(auditEvents)
      .set({ payload: changed.payload, prevHash: prev, hash })
      .where(eqSeq(row.seq))
      .run();
    prev = hash;
  }
  return rows;
}

function restore(rows: AuditEventRow[]): void {
  for (const row of rows) {
    db()
      .update(auditEvents)
      .set({ payload: row.payload, prevHash: row.prevHash, hash: row.hash })
      .where(eqSeq(row.seq))
      .run();
  }
}

const eqSeq = (seq: number) => eq(auditEvents.seq, seq);

/** Commits on main written by relbot, newest first. */
const relbotCommits = () =>
  git(world.gitops.bare, ["log", "--format=%H %an <%ae>", "main"])
    .split("\n")
    .filter((line) => line.endsWith(`${gitopsAuthor.name} <${gitopsAuthor.email}>`))
    .map((line) => line.split(" ")[0]!);

describe("the audit chain anchored in GitOps commits", () => {
  test("attack: on an unkeyed chain, rewrite a row and recompute every hash -> verify fails on the anchored head", async () => {
    useAuditKey(undefined);
    relbot = await startPipelineRelbot(world);
    await releaseToDev("v1.4.0");
    const [commit] = relbotCommits();
    const head = trailers(world.gitops.bare, commit!)["Relbot-Audit-Head"];
    expect(head).toMatch(/^[0-9a-f]{64}$/);
    expect(
      db()
        .select()
        .from(auditEvents)
        .all()
        .some((row) => row.hash === head),
    ).toBe(true);
    expect(await verify()).toMatchObject({ ok: true, keyed: false, anchorsChecked: 1 });

    const original = rewriteAndRecompute(1, { file: "relbot.yaml", note: "rewritten" });
    const verdict = await verify();
    expect(verdict.ok).toBe(false);
    expect(String(verdict.problem)).toContain(`GitOps commit ${commit} anchors audit head ${head}`);
    restore(original);
    expect(await verify()).toMatchObject({ ok: true });
    await relbot.stop();
    relbot = undefined;
  });

  test("an existing unkeyed database is keyed from the next start on; every relbot commit carries its head", async () => {
    useAuditKey("RELBOT_AUDIT_KEY");
    world.env.RELBOT_AUDIT_KEY = auditKeyValue;
    relbot = await startPipelineRelbot(world);
    expect(
      db()
        .select()
        .from(auditEvents)
        .all()
        .some((row) => row.kind === "audit.keyed"),
    ).toBe(true);
    await releaseToDev("v1.5.0");
    expect(await verify()).toMatchObject({ ok: true, keyed: true, anchorsChecked: 2 });

    const commits = relbotCommits();
    expect(commits.length).toBe(2);
    const hashes = new Set(
      db()
        .select()
        .from(auditEvents)
        .all()
        .map((row) => row.hash),
    );
    for (const commit of commits) {
      expect(hashes.has(trailers(world.gitops.bare, commit)["Relbot-Audit-Head"] ?? "")).toBe(true);
    }
  });

  test("attack: on a keyed chain, rewrite a row and recompute every hash -> verify fails at that row", async () => {
    const rows = db().select().from(auditEvents).orderBy(auditEvents.seq).all();
    const promoted = rows.findLast((row) => row.kind === "promotion.succeeded")!;
    const original = rewriteAndRecompute(promoted.seq, { ...(promoted.payload as object), actor: "mallory" });
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: promoted.seq });
    restore(original);
    expect(await verify()).toMatchObject({ ok: true });
  });

  test("attack: start relbot with another audit key over the keyed chain -> refused (it would start a new, unrelated chain)", async () => {
    await relbot!.stop();
    relbot = undefined;
    const env = { ...world.env, RELBOT_AUDIT_KEY: `${auditKeyValue.slice(1)}0` };
    await expect(
      startRelbot({ loaded: loadConfig({ file: world.configFile, env }), logger: silentLogger, port: 0 }),
    ).rejects.toThrow(/keyed with audit key .* but audit.keyEnv holds key/);
  });
});
