// git's gpg.ssh.allowedSignersFile format (ssh-keygen(1), ALLOWED SIGNERS):
//   principals [options] keytype base64-key [comment]
// options: cert-authority, namespaces="git,file", valid-after="YYYYMMDD[HHMM[SS]][Z]", valid-before="...".

export interface AllowedSigner {
  /** The principals field as written ("release@example.com,ops@example.com", patterns allowed). */
  principals: string;
  keyType: string;
  /** Base64 of the SSH public key blob. */
  key: string;
  certAuthority: boolean;
  /** Namespace patterns; null when the line does not restrict them. */
  namespaces: string[] | null;
  /** Unix ms; null when unset. */
  validAfter: number | null;
  validBefore: number | null;
  line: number;
}

export interface AllowedSignersFile {
  signers: AllowedSigner[];
  /** Lines that could not be read; they grant nothing. */
  problems: string[];
}

const keyTypes = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

const isKeyType = (token: string) => keyTypes.has(token) || token.endsWith("-cert-v01@openssh.com");

export function parseAllowedSigners(text: string): AllowedSignersFile {
  const signers: AllowedSigner[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    try {
      signers.push(parseLine(trimmed, line));
    } catch (error) {
      problems.push(`line ${line}: ${(error as Error).message}`);
    }
  });
  return { signers, problems };
}

function parseLine(text: string, line: number): AllowedSigner {
  const tokens = splitFields(text);
  const principals = unquote(tokens.shift() ?? "");
  if (principals === "") throw new Error("no principals");
  let options = "";
  if (tokens[0] !== undefined && !isKeyType(tokens[0])) options = tokens.shift()!;
  const keyType = tokens.shift();
  const key = tokens.shift();
  if (!keyType || !isKeyType(keyType)) throw new Error(`unknown key type "${keyType ?? ""}"`);
  if (!key || !/^[A-Za-z0-9+/]+=*$/.test(key)) throw new Error("missing or malformed public key");
  const signer: AllowedSigner = {
    principals,
    keyType,
    key,
    certAuthority: false,
    namespaces: null,
    validAfter: null,
    validBefore: null,
    line,
  };
  for (const option of splitOptions(options)) {
    const eq = option.indexOf("=");
    const name = (eq === -1 ? option : option.slice(0, eq)).toLowerCase();
    const value = eq === -1 ? "" : unquote(option.slice(eq + 1));
    if (name === "cert-authority") signer.certAuthority = true;
    else if (name === "namespaces") signer.namespaces = value.split(",").map((n) => n.trim());
    else if (name === "valid-after") signer.validAfter = parseSshTime(value);
    else if (name === "valid-before") signer.validBefore = parseSshTime(value);
    else throw new Error(`unknown option "${name}"`);
  }
  return signer;
}

/** Whitespace-separated fields; double quotes keep spaces inside one field. */
function splitFields(text: string): string[] {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === " " || c === "\t")) {
      if (current !== "") fields.push(current);
      current = "";
    } else current += c;
  }
  if (quoted) throw new Error("unterminated quote");
  if (current !== "") fields.push(current);
  return fields;
}

/** Comma-separated options; commas inside double quotes do not split. */
function splitOptions(text: string): string[] {
  if (text === "") return [];
  const options: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (!quoted && c === ",") {
      options.push(current);
      current = "";
    } else current += c;
  }
  options.push(current);
  return options.filter((o) => o !== "");
}

const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS; local time unless suffixed "Z" (UTC), as ssh-keygen reads it. */
export function parseSshTime(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/i.exec(value);
  if (!match) throw new Error(`invalid time "${value}" (want YYYYMMDD[HHMM[SS]][Z])`);
  const [, y, mo, d, h = "0", mi = "0", s = "0", z] = match;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  return z ? Date.UTC(...parts) : new Date(...parts).getTime();
}

/** OpenSSH match_pattern_list: comma-separated patterns with * and ?, "!" negates (a negated match wins). */
export function matchPatternList(value: string, patterns: string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (globMatch(value, pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(value: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(value);
}
