// What anyone who can push a tag can throw at relbot, driven as an attacker would: hostile objects written with
// `git hash-object --literally` (or big files committed) in a real repository on the real git server, announced
// by a signed webhook delivery, judged by a running relbot through its job queue.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import type { RunningRelbot } from "../../src/main.ts";
import { eventually, settledJob } from "../support/eventually.ts";
import { commitFiles, git } from "../support/git.ts";
import { deliver } from "../support/relbot-webhooks.ts";
import {
  createPipelineWorld,
  type PipelineWorld,
  releasesOf,
  startPipelineRelbot,
} from "../support/release-pipeline.ts";
import { tagPayload } from "../support/tag-objects.ts";

let world: PipelineWorld;
let relbot: RunningRelbot;

beforeAll(async () => {
  world = await createPipelineWorld();
  relbot = await startPipelineRelbot(world);
});
afterAll(async () => {
  await relbot?.stop();
  await world?.dispose();
});

const db = () => relbot.database.db;
const release = (version: string) => releasesOf(db(), "order-svc").find((r) => r.version === version);
const codes = (version: string) => release(version)?.reasons.map((r) => r.code);

/** Announces a tag the way GitHub would and waits for its release job; returns the job. */
async function announce(tag: string) {
  const object = git(world.source.work, ["rev-parse", `refs/tags/${tag}`]);
  const answer = await deliver(relbot.url, "push", world.pushEvent(tag, object));
  expect(answer.status).toBe(202);
  return answer.body.jobIds as string[];
}

describe("a hostile tag object", () => {
  test("a 1.4 MB unsigned tag of one BEGIN line and 48,000 more is refused unparsed while /healthz answers", async () => {
    const hostile =
      tagPayload({ object: world.source.commit, tag: "v9.0.0" }) +
      "-----BEGIN SSH SIGNATURE-----\n" +
      "x-----BEGIN SSH SIGNATURE-----\n".repeat(48_000);
    const oid = execFileSync("git", ["hash-object", "-t", "tag", "--literally", "-w", "--stdin"], {
      cwd: world.source.work,
      input: hostile,
      encoding: "utf8",
    }).trim();
    git(world.source.work, ["update-ref", "refs/tags/v9.0.0", oid]);
    await world.pushTags("v9.0.0");
    await announce("v9.0.0");

    // The probe asks /healthz on every round while the tag is judged; each answer must come (and be ok).
    const health: number[] = [];
    await eventually("v9.0.0 to be judged", async () => {
      health.push((await fetch(`${relbot.url}/healthz`)).status);
      return release("v9.0.0");
    });
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
    expect(codes("v9.0.0")).toEqual(["tag.too-large"]);
    expect(release("v9.0.0")!.reasons[0]!.message).toContain(`${hostile.length} bytes`);
  });
});

describe("a hostile go.mod", () => {
  /** A go.mod of about `bytes` bytes: valid, with a long comment, as compressible as an attacker likes. */
  const bigGoMod = (module: string, bytes: number) =>
    `module ${module}\n\ngo 1.22\n${"// padding padding padding padding padding padding\n".repeat(Math.ceil(bytes / 51))}`;

  test("a 20 MB go.mod at a signed tag is refused as gomod.too-large without being read", async () => {
    commitFiles(world.source.work, { "go.mod": bigGoMod("github.com/acme/order-svc", 20_000_000) }, "big");
    await world.releaseTag("v9.1.0");
    const [job] = await announce("v9.1.0");
    await settledJob(db(), job!);
    expect(codes("v9.1.0")).toEqual(["gomod.too-large"]);
    expect(release("v9.1.0")!.reasons[0]!.message).toContain("16777216 bytes");
  });

  test("an unsigned tag never gets its go.mod read: only the signature is reported", async () => {
    // The module line is wrong, so a go.mod read would add gomod.module-path to the reasons.
    commitFiles(
      world.source.work,
      { "go.mod": bigGoMod("github.com/evil/elsewhere", 1_000_000) },
      "unsigned",
    );
    git(world.source.work, ["tag", "-a", "-m", "unsigned", "v9.2.0"]);
    await world.pushTags("v9.2.0");
    const [job] = await announce("v9.2.0");
    await settledJob(db(), job!);
    expect(codes("v9.2.0")).toEqual(["signature.missing"]);
  });
});
