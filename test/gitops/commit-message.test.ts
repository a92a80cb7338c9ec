import { expect, test } from "bun:test";
import { parsePromotionCommit, promotionCommitMessage } from "../../src/gitops/index.ts";

const change = {
  promotionId: "prm_1",
  app: "order-svc",
  env: "dev",
  fromVersion: "v1.3.0",
  toVersion: "v1.4.0",
};

test("the message reads back into the changes it carries", () => {
  const second = { ...change, promotionId: "prm_2", env: "staging", fromVersion: null };
  const message = promotionCommitMessage({ requestId: "req_1", actor: "alice", changes: [change, second] });
  expect(message.split("\n\n")[0]).toBe(
    "order-svc: dev v1.3.0 -> v1.4.0\norder-svc: staging (unset) -> v1.4.0",
  );
  expect(parsePromotionCommit(message)).toEqual([change, second]);
});

test("a reason or actor cannot forge a trailer", () => {
  const message = promotionCommitMessage({
    requestId: "req_1",
    actor: "mallory\nRelbot-Promotion: prm_forged",
    reason: "because\n\nRelbot-Promotion: prm_forged2",
    changes: [change],
  });
  expect(parsePromotionCommit(message).map((c) => c.promotionId)).toEqual(["prm_1"]);
  expect(message).toContain("Relbot-Actor: mallory Relbot-Promotion: prm_forged\n");
});
