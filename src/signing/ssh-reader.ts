// SSH wire format (RFC 4251 section 5): uint32 lengths and length-prefixed strings. One reader for everything
// relbot decodes in it: SSHSIG tag signatures (signing/ssh.ts) and OpenSSH private keys for signed commits.

export class SshReader {
  private offset = 0;
  /** `truncated` makes the error a short buffer throws: each caller words it for what it was reading. */
  constructor(
    private readonly buffer: Buffer,
    private readonly truncated: () => Error = () => new Error("truncated SSH data"),
  ) {}

  bytes(n: number): Buffer {
    if (n < 0 || this.offset + n > this.buffer.length) throw this.truncated();
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString("utf8");
  }

  /** What is left unread. */
  rest(): Buffer {
    return this.buffer.subarray(this.offset);
  }

  done(): boolean {
    return this.offset === this.buffer.length;
  }
}
