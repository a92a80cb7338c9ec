import { html } from "hono/html";
import type { PromotionRow } from "../../store/index.ts";

export type DeploymentState = NonNullable<PromotionRow["deploymentState"]>;

/** Degraded, or never healthy in time: the release is not running as it should. */
export const deploymentIsBad = (state: DeploymentState) => state === "degraded" || state === "timeout";

/** Argo CD's verdict as a badge, in words and colour: healthy green, pending and progressing blue, bad red. */
export function deploymentFlag(state: DeploymentState) {
  const tone = state === "healthy" ? "healthy" : deploymentIsBad(state) ? "bad" : "pending";
  return html`<span class="flag deploy-${tone}" title="Argo CD: ${state}">${state}</span>`;
}
