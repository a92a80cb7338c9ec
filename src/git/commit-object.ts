// A commit object's bytes, and the same commit with a signature header, exactly as git writes and reads them:
// git verifies a signed commit by removing the `gpgsig` header and checking the signature over what is left, so
// the bytes signed must be the object minus that header, byte for byte.

export interface CommitFields {
  tree: string;
  parents: string[];
  author: Ident;
  committer: Ident;
  message: string;
}

export interface Ident {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

function ident({ name, email, timestamp }: Ident): string {
  // git forbids these in an ident; one in the config would forge a header or break the object.
  if (/[<>\n\r\0]/.test(name) || /[<>\n\r\0]/.test(email)) {
    throw new Error("commit author name and email must not contain <, > or line breaks");
  }
  return `${name} <${email}> ${timestamp} +0000`;
}

/** The unsigned commit object; the message normalised as isomorphic-git does (no CR, one final newline). */
export function commitPayload(fields: CommitFields): string {
  const headers = [`tree ${fields.tree}`, ...fields.parents.map((parent) => `parent ${parent}`)];
  headers.push(`author ${ident(fields.author)}`, `committer ${ident(fields.committer)}`);
  const message = `${fields.message.replace(/\r/g, "").replace(/^\n+/, "").replace(/\n+$/, "")}\n`;
  return `${headers.join("\n")}\n\n${message}`;
}

/**
 * The signed object: a `gpgsig` header after the last header, the armored signature's lines continued with one
 * leading space each (an empty armor line becomes a lone space), as git's add_header_signature writes it.
 */
export function withSignature(payload: string, armoredSignature: string): string {
  const end = payload.indexOf("\n\n");
  if (end === -1) throw new Error("not a commit object");
  const lines = armoredSignature.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
  const header = `gpgsig ${lines.join("\n ")}`;
  return `${payload.slice(0, end)}\n${header}\n${payload.slice(end + 1)}`;
}
