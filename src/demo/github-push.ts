// What GitHub sends when a tag is pushed: a `push` delivery in GitHub's own shape (the fields relbot reads and
// the ones around them), signed with the webhook secret (X-Hub-Signature-256) and POSTed to relbot's
// /webhooks/github as GitHub's hookshot does.
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { developer, type PushedTag } from "./source-repo.ts";

export interface DeliveryAnswer {
  deliveryId: string;
  status: number;
  body: { jobIds?: string[]; ignored?: string; duplicate?: boolean; error?: { message: string } };
}

export async function deliverTagPush(options: {
  relbotUrl: string;
  webhookSecret: string;
  repoUrl: string;
  owner: string;
  pushed: PushedTag;
}): Promise<DeliveryAnswer> {
  const body = JSON.stringify(tagPushPayload(options.repoUrl, options.owner, options.pushed));
  const deliveryId = randomUUID();
  const response = await fetch(`${options.relbotUrl}/webhooks/github`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "GitHub-Hookshot/relbot-demo",
      "X-GitHub-Event": "push",
      "X-GitHub-Delivery": deliveryId,
      "X-GitHub-Hook-ID": "1",
      "X-GitHub-Hook-Installation-Target-Type": "repository",
      "X-GitHub-Hook-Installation-Target-ID": "1",
      "X-Hub-Signature-256": await sign(options.webhookSecret, body),
    },
    body,
  });
  return { deliveryId, status: response.status, body: (await response.json()) as DeliveryAnswer["body"] };
}

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#push, for a newly pushed annotated tag. */
function tagPushPayload(repoUrl: string, owner: string, pushed: PushedTag) {
  const htmlUrl = repoUrl.replace(/\.git$/, "");
  const name = htmlUrl.slice(htmlUrl.lastIndexOf("/") + 1);
  const person = { name: developer.name, email: developer.email, username: "dana" };
  return {
    ref: `refs/tags/${pushed.tag}`,
    before: "0000000000000000000000000000000000000000",
    // An annotated tag's push carries the tag object here; head_commit is the commit it points at.
    after: pushed.tagObject,
    repository: {
      id: 1,
      name,
      full_name: `${owner}/${name}`,
      private: false,
      owner: { name: owner, login: owner, type: "Organization" },
      html_url: htmlUrl,
      url: htmlUrl,
      clone_url: repoUrl,
      default_branch: "main",
      master_branch: "main",
      language: "Go",
    },
    pusher: { name: person.username, email: person.email },
    sender: { login: person.username, id: 1, type: "User" },
    created: true,
    deleted: false,
    forced: false,
    base_ref: "refs/heads/main",
    compare: `${htmlUrl}/compare/${pushed.tag}`,
    commits: [],
    head_commit: {
      id: pushed.commit,
      tree_id: pushed.tree,
      distinct: true,
      message: pushed.subject,
      timestamp: pushed.committedAt,
      url: `${htmlUrl}/commit/${pushed.commit}`,
      author: person,
      committer: person,
      added: [],
      removed: [],
      modified: ["main.go", "sbom.spdx.json"],
    },
  };
}
