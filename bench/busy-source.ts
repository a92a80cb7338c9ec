// For `bench/webhooks.ts --worker-busy`: a Go repository on the local git server (`git http-backend` on 127.0.0.1)
// with `count` gpg-signed tags, so the release checks the deliveries queue do their real work (ref listing, pack
// fetch and indexing, OpenPGP signature, go.mod) while the deliveries are still arriving. The server runs in its own
// process (bench/git-server-process.ts), as GitHub is not in the load generator's process: serving the checks'
// fetches on the load generator's event loop delayed its own clock on the answers it times.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { commitFiles, makeWorkRepo } from "../test/support/git.ts";
import { gitAsync } from "../test/support/git-async.ts";
import { startGitServer } from "../test/support/git-server.ts";
import { type GpgKey, makeGpgKey, signedTag } from "../test/support/keys.ts";
import { type GitServerChild, startGitServerChild } from "./git-server-child.ts";

export interface BusySource {
  server: GitServerChild;
  url: string;
  key: GpgKey;
  /** Tag name -> tag object id, in the order the tags were made. */
  tags: Map<string, string>;
  dispose(): Promise<void>;
}

export async function busySource(tagNames: string[]): Promise<BusySource> {
  const root = mkdtempSync(path.join(tmpdir(), "relbot-bench-busy-source-"));
  // The repository is made and pushed through a server in this process, then served by its own process.
  const setup = await startGitServer({ root });
  const key = makeGpgKey({ name: "Release Team", email: "release@acme.example" });
  const work = makeWorkRepo();
  commitFiles(
    work,
    {
      "go.mod": "module github.com/acme/order-svc\n\ngo 1.22\n",
      "main.go": "package main\n\nfunc main() {}\n",
    },
    "order service",
  );
  const pushUrl = setup.createRepo("acme/order-svc.git");
  const tags = new Map<string, string>();
  for (const name of tagNames) tags.set(name, signedTag(work, name, key));
  await gitAsync(work, ["push", "--quiet", pushUrl, "main", "--tags"]);
  await setup.close();
  const server = await startGitServerChild(root);
  const url = `${server.url}/acme/order-svc.git`;
  return {
    server,
    url,
    key,
    tags,
    async dispose() {
      key.dispose();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
