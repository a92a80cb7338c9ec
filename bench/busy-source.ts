// For `bench/webhooks.ts --worker-busy`: a Go repository on the local git server (`git http-backend` on 127.0.0.1)
// with `count` gpg-signed tags, so the release checks the deliveries queue do their real work (ref listing, pack
// fetch and indexing, OpenPGP signature, go.mod) while the deliveries are still arriving.
import { commitFiles, makeWorkRepo } from "../test/support/git.ts";
import { gitAsync } from "../test/support/git-async.ts";
import { type GitServer, startGitServer } from "../test/support/git-server.ts";
import { type GpgKey, makeGpgKey, signedTag } from "../test/support/keys.ts";

export interface BusySource {
  server: GitServer;
  url: string;
  key: GpgKey;
  /** Tag name -> tag object id, in the order the tags were made. */
  tags: Map<string, string>;
  dispose(): Promise<void>;
}

export async function busySource(tagNames: string[]): Promise<BusySource> {
  const server = await startGitServer();
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
  const url = server.createRepo("acme/order-svc.git");
  const tags = new Map<string, string>();
  for (const name of tagNames) tags.set(name, signedTag(work, name, key));
  await gitAsync(work, ["push", "--quiet", url, "main", "--tags"]);
  return {
    server,
    url,
    key,
    tags,
    async dispose() {
      key.dispose();
      await server.close();
    },
  };
}
