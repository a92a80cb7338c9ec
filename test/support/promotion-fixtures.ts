// The release history chat and promotion tests start from: order-svc with the chain dev -> staging -> prod
// (prod restricted to alice and @acme/sre), verified releases and succeeded promotions written as relbot would.
import type { RelbotConfig } from "../../src/config/index.ts";
import { newId } from "../../src/ids.ts";
import { type Db, type NewReleaseRow, promotions, type ReleaseRow, releases } from "../../src/store/index.ts";

export const orderSvcApps: Pick<RelbotConfig, "apps"> = {
  apps: {
    "order-svc": {
      repo: "https://github.com/acme/order-svc.git",
      module: "github.com/acme/order-svc",
      dir: "",
      signers: "team",
      environments: [
        { name: "dev", file: "envs/dev.yaml", auto: true, prerelease: true },
        { name: "staging", file: "envs/staging.yaml", auto: false, prerelease: false },
        {
          name: "prod",
          file: "envs/prod.yaml",
          auto: false,
          prerelease: false,
          approvers: ["alice", "@acme/sre"],
        },
      ],
    },
  },
};

/**
 * A release row as the release job records one: verified order-svc by default; `row` overrides any field.
 * The one seeder for releases (the API harness adds signature and SBOM fields on top).
 */
export function seedRelease(db: Db, row: Partial<NewReleaseRow> & { version: string }): ReleaseRow {
  const app = row.app ?? "order-svc";
  const now = row.createdAt ?? Date.now();
  return db
    .insert(releases)
    .values({
      app,
      module: `github.com/acme/${app}`,
      tagName: row.version,
      tagObject: `${app}${row.version}`.replace(/\W/g, "").padEnd(40, "0").slice(0, 40),
      commit: "c".repeat(40),
      status: "verified",
      createdAt: now,
      updatedAt: now,
      ...row,
    })
    .returning()
    .get();
}

export function seedSucceededPromotion(db: Db, env: string, version: string, now: number, actor = "relbot") {
  db.insert(promotions)
    .values({
      id: newId("prm", now),
      requestId: newId("req", now),
      app: "order-svc",
      env,
      toVersion: version,
      actor,
      source: "webhook",
      status: "succeeded",
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
    })
    .run();
}
