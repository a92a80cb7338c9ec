// The release history chat and promotion tests start from: order-svc with the chain dev -> staging -> prod
// (prod restricted to alice and @acme/sre), verified releases and succeeded promotions written as relbot would.
import type { RelbotConfig } from "../../src/config/index.ts";
import { newId } from "../../src/ids.ts";
import { type Db, promotions, releases } from "../../src/store/index.ts";

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

export function seedVerifiedRelease(
  db: Db,
  version: string,
  now: number,
  tagObject = version.padEnd(40, "a"),
) {
  db.insert(releases)
    .values({
      app: "order-svc",
      module: "github.com/acme/order-svc",
      version,
      tagName: version,
      tagObject,
      status: "verified",
      createdAt: now,
      updatedAt: now,
    })
    .run();
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
