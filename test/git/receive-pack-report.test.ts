// The receive-pack response parser and the capability choice, on bytes shaped as git-receive-pack sends them
// (pkt-lines, side-band-64k framing with the report cut across band-1 packets, ERR packets).
import { describe, expect, test } from "bun:test";
import { requestedCapabilities } from "../../src/git/receive-pack.ts";
import { readReceivePackResponse } from "../../src/git/receive-pack-report.ts";

const pkt = (payload: string | Buffer): Buffer => {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, "0")), bytes]);
};
const flush = Buffer.from("0000");
const band = (n: number, data: string | Buffer) =>
  pkt(Buffer.concat([Buffer.from([n]), typeof data === "string" ? Buffer.from(data) : data]));

/** A report-status stream carried on band 1, split into packets of `chunk` bytes as a host may do. */
function sideBandReport(lines: string[], remote: string[] = [], chunk = 7): Buffer {
  const report = Buffer.concat([...lines.map((line) => pkt(`${line}\n`)), flush]);
  const packets: Buffer[] = remote.map((line) => band(2, `${line}\n`));
  for (let at = 0; at < report.length; at += chunk) packets.push(band(1, report.subarray(at, at + chunk)));
  return Buffer.concat([...packets, flush]);
}

describe("readReceivePackResponse", () => {
  test("ok on the exact ref only: `ok refs/heads/main-x` is not main", () => {
    const report = readReceivePackResponse(sideBandReport(["unpack ok", "ok refs/heads/main-x"]), true);
    expect(report.unpack).toBe("ok");
    expect(report.refs.get("refs/heads/main")).toBeUndefined();
    expect(report.refs.get("refs/heads/main-x")).toEqual({ ok: true });
  });

  test("ng with the reason, and the remote: lines of band 2 (CR-redrawn progress split into lines)", () => {
    const bytes = sideBandReport(
      ["unpack ok", "ng refs/heads/main protected branch hook declined"],
      [
        "error: GH006: Protected branch update failed for refs/heads/main.",
        "error: Changes must be made through a pull request.\r\x1b[31mcolour\x1b[0m",
      ],
    );
    const report = readReceivePackResponse(bytes, true);
    expect(report.refs.get("refs/heads/main")).toEqual({
      ok: false,
      reason: "protected branch hook declined",
    });
    expect(report.remote).toEqual([
      "error: GH006: Protected branch update failed for refs/heads/main.",
      "error: Changes must be made through a pull request.",
      // The escape byte is dropped: a host's text never reaches a terminal or chat as control sequences.
      "[31mcolour[0m",
    ]);
  });

  test("ng on a longer ref name does not answer for the shorter one", () => {
    const report = readReceivePackResponse(
      sideBandReport(["unpack ok", "ng refs/heads/main-x denied", "ok refs/heads/main"]),
      true,
    );
    expect(report.refs.get("refs/heads/main")).toEqual({ ok: true });
    expect(report.refs.get("refs/heads/main-x")).toEqual({ ok: false, reason: "denied" });
  });

  test("an ERR packet in place of a report, and a band-3 fatal error", () => {
    const err = readReceivePackResponse(
      Buffer.concat([pkt("ERR Repository was archived so is read-only.\n"), flush]),
      true,
    );
    expect(err.fatal).toBe("Repository was archived so is read-only.");
    expect(err.unpack).toBeUndefined();
    const fatal = readReceivePackResponse(
      Buffer.concat([band(2, "checking\n"), band(3, "disk quota exceeded\n"), flush]),
      true,
    );
    expect(fatal).toMatchObject({ fatal: "disk quota exceeded", remote: ["checking"] });
  });

  test("without side-band: plain report-status pkt-lines", () => {
    const report = readReceivePackResponse(
      Buffer.concat([pkt("unpack ok\n"), pkt("ok refs/heads/main\n"), flush]),
      false,
    );
    expect(report).toMatchObject({ unpack: "ok", remote: [] });
    expect(report.refs.get("refs/heads/main")).toEqual({ ok: true });
  });

  test("unpack failure, truncation and garbage never throw", () => {
    expect(
      readReceivePackResponse(
        sideBandReport(["unpack index-pack abnormal exit", "ng refs/heads/main unpacker error"]),
        true,
      ).unpack,
    ).toBe("index-pack abnormal exit");
    const whole = sideBandReport(["unpack ok", "ok refs/heads/main"]);
    const cut = readReceivePackResponse(whole.subarray(0, 12), true);
    expect(cut.refs.size).toBe(0);
    expect(readReceivePackResponse(Buffer.from("zzzz not pkt-lines"), true).refs.size).toBe(0);
    expect(readReceivePackResponse(Buffer.alloc(0), false).unpack).toBeUndefined();
  });

  test("band-2 output is bounded however much a hook prints", () => {
    const noisy = Buffer.concat([
      ...Array.from({ length: 500 }, (_, i) => band(2, `line ${i} ${"x".repeat(1000)}\n`)),
      flush,
    ]);
    const report = readReceivePackResponse(noisy, true);
    expect(report.remote).toHaveLength(50);
    expect(report.remote[0]!.length).toBeLessThanOrEqual(303);
  });
});

describe("requestedCapabilities", () => {
  test("asks only for what was offered: no agent, no side-band where the server has none", () => {
    expect(requestedCapabilities({ "report-status": true, "delete-refs": true })).toEqual(["report-status"]);
  });

  test("prefers side-band-64k, asks for quiet and sends agent when offered", () => {
    expect(
      requestedCapabilities({
        "report-status": true,
        "side-band-64k": true,
        "side-band": true,
        quiet: true,
        agent: "git/2.43.0",
      }),
    ).toEqual(["report-status", "side-band-64k", "quiet", "agent=relbot"]);
    expect(requestedCapabilities({ "report-status": true, "side-band": true })).toEqual([
      "report-status",
      "side-band",
    ]);
  });
});
