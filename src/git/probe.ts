import * as isogit from "isomorphic-git";
import { type GitCredential, gitAuthHeaders } from "./credentials.ts";
import { http } from "./traced-http.ts";

/** What one ref advertisement says about a remote: its branches and what HEAD (the default branch) points at. */
export interface RemoteRefs {
  /** Branch names, without refs/heads/. */
  branches: string[];
  /** The branch HEAD names (refs/heads/...), or undefined when the remote advertises no HEAD (none, or dangling). */
  head: string | undefined;
}

/** One ref advertisement: proves the repository exists and the credential (if any) is accepted. */
export async function probeRemote(url: string, credential?: GitCredential, forPush = false): Promise<void> {
  await isogit.getRemoteInfo({ http, url, headers: await gitAuthHeaders(credential), forPush });
}

/** probeRemote that also reads the answer: the branches and HEAD (`relbot check` names what is missing). */
export async function listRemoteRefs(
  url: string,
  credential?: GitCredential,
  forPush = false,
): Promise<RemoteRefs> {
  const info = await isogit.getRemoteInfo2({
    http,
    url,
    headers: await gitAuthHeaders(credential),
    forPush,
    // Protocol v1 lists every ref with the HEAD symref in one answer; v2 would need a second round trip.
    protocolVersion: 1,
  });
  const refs = info.refs ?? [];
  const branches = refs.filter((r) => r.ref.startsWith("refs/heads/")).map((r) => r.ref.slice(11));
  const head = refs.find((r) => r.ref === "HEAD");
  return { branches, head: head ? (head.target ?? "HEAD") : undefined };
}
