// The ref advertisement reader the reconciler lists tags with: against the real git HTTP server (git http-backend),
// and against hostile answers (wrong content type, oversized, malformed pkt-lines) from a local stand-in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listAdvertisedRefs, parseAdvertisement } from "../../src/git/ref-advertisement.ts";
import { commitFiles, git, makeWorkRepo } from "../support/git.ts";
import { gitAsync, withCredentials } from "../support/git-async.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";

let server: GitServer;
let url: string;
let work: string;
const auth = { username: "x-access-token", password: "adv-token" };
const headers = {
  Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`,
};

beforeAll(async () => {
  server = await startGitServer({ auth });
  url = server.createRepo("acme/many-tags.git");
  work = makeWorkRepo();
  commitFiles(work, { "go.mod": "module example.com/many\n" }, "one");
  for (let i = 0; i < 30; i++) git(work, ["tag", "-a", "-m", `release ${i}`, `v1.0.${i}`]);
  git(work, ["tag", "api/v0.1.0"]); // lightweight, in a module directory
  git(work, ["branch", "feature"]);
  await gitAsync(work, ["push", "--quiet", withCredentials(url, auth.username, auth.password), "--all"]);
  await gitAsync(work, ["push", "--quiet", withCredentials(url, auth.username, auth.password), "--tags"]);
});
afterAll(() => server.close());

describe("listAdvertisedRefs", () => {
  test("lists exactly what git for-each-ref says: tag objects for annotated tags, no peeled entries, no branches", async () => {
    const refs = await listAdvertisedRefs(url, { headers, prefix: "refs/tags/" });
    const expected = new Map(
      git(work, ["for-each-ref", "--format=%(refname) %(objectname)", "refs/tags"])
        .split("\n")
        .map((line) => line.split(" ") as [string, string]),
    );
    expect(refs).toEqual(expected);
    expect(refs.size).toBe(31);
  });

  test("an empty repository lists nothing; a missing one or a refused credential is an error", async () => {
    const empty = server.createRepo("acme/empty.git");
    expect((await listAdvertisedRefs(empty, { headers, prefix: "refs/tags/" })).size).toBe(0);
    await expect(listAdvertisedRefs(url, { prefix: "refs/tags/" })).rejects.toThrow(/401/);
    await expect(
      listAdvertisedRefs(`${server.url}/acme/missing.git`, { headers, prefix: "refs/tags/" }),
    ).rejects.toThrow(/HTTP Error/);
  });

  test("refuses an advertisement over the size limit before reading it all", async () => {
    await expect(listAdvertisedRefs(url, { headers, prefix: "refs/tags/", maxBytes: 1024 })).rejects.toThrow(
      /over the 1024-byte limit/,
    );
  });
});

describe("hostile answers", () => {
  let stand: ReturnType<typeof Bun.serve>;
  let answer: { type: string; body: string } = { type: "text/html", body: "<html>sign in</html>" };
  beforeAll(() => {
    stand = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response(answer.body, { headers: { "Content-Type": answer.type } }),
    });
  });
  afterAll(() => stand.stop(true));
  const at = () => listAdvertisedRefs(`http://127.0.0.1:${stand.port}/x.git`, { prefix: "refs/tags/" });
  const advertisement = "application/x-git-upload-pack-advertisement";

  test("a page that is not a smart git answer (a login page, a dumb server) is an error", async () => {
    answer = { type: "text/html", body: "<html>sign in</html>" };
    await expect(at()).rejects.toThrow(/not a smart git HTTP server/);
  });

  test("malformed or truncated pkt-lines are errors, not a partial listing", async () => {
    for (const body of [
      "001e# service=git-upload-pack\n0000zzzz",
      "001e# service=git-upload-pack\n00000100short",
      "001e# service=git-upload-pack\n0000003fnot-an-object-id-at-all-not-an-object-id refs/tags/v1\n0000",
      "001e# service=git-upload-pack\n0000",
      "0003",
    ]) {
      answer = { type: advertisement, body };
      await expect(at()).rejects.toThrow(/ref advertisement/);
    }
  });

  test("parses the capabilities line and skips peeled entries", () => {
    const oid = "a".repeat(40);
    const peeled = "b".repeat(40);
    const line = (text: string) => `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, "0")}${text}`;
    const body =
      line("# service=git-upload-pack\n") +
      "0000" +
      line(`${oid} HEAD\0multi_ack side-band-64k\n`) +
      line(`${oid} refs/heads/main\n`) +
      line(`${oid} refs/tags/v1.0.0\n`) +
      line(`${peeled} refs/tags/v1.0.0^{}\n`) +
      "0000";
    expect(parseAdvertisement(Buffer.from(body), "refs/tags/")).toEqual(new Map([["refs/tags/v1.0.0", oid]]));
  });
});
