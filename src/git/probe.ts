import * as isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { type GitCredential, gitAuthHeaders } from "./credentials.ts";

/** One ref advertisement: proves the repository exists and the credential (if any) is accepted. */
export async function probeRemote(url: string, credential?: GitCredential, forPush = false): Promise<void> {
  await isogit.getRemoteInfo({ http, url, headers: await gitAuthHeaders(credential), forPush });
}
