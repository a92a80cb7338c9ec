// Where to look once the story has run: the API and its docs, the dashboard when this build has one, the read
// token to use, and the git server's repositories to clone.
import type { DemoReport } from "./report.ts";
import type { DemoStage } from "./stage.ts";

export async function reportUrls(stage: DemoStage, report: DemoReport, keep: boolean): Promise<void> {
  const { url } = stage.relbot;
  const token = stage.config.secrets.readToken;
  report.step("Where to look");
  if (await hasDashboard(url)) report.detail(`dashboard      ${url}/`);
  report.detail(`API reference  ${url}/docs  (OpenAPI: ${url}/openapi.json)`);
  report.detail(`read token     ${token}`);
  report.detail(`try            curl -H 'Authorization: Bearer ${token}' ${url}/api/v1/apps`);
  report.detail(`               curl -H 'Authorization: Bearer ${token}' ${url}/api/v1/audit/events`);
  report.detail(`promote token  ${stage.config.secrets.deployToken} (acts as demo-user, the prod approver)`);
  report.detail(
    `promote        curl -X POST -H 'Authorization: Bearer ${stage.config.secrets.deployToken}' -H 'Content-Type: application/json' \\`,
  );
  report.detail(
    `                 -d '{"app":"demo-svc","version":"v1.1.0","env":"prod","reason":"try it"}' ${url}/api/v1/promotions`,
  );
  report.detail(`webhook        ${url}/webhooks/github   Slack: ${url}/chatops/slack`);
  report.detail(`metrics        ${url}/metrics`);
  report.detail(`git            git clone ${stage.gitops.url}   git clone ${stage.source.url}`);
  report.detail(
    keep
      ? `workspace      ${stage.workspace.root} (kept; secrets in ${stage.config.envFile})`
      : `workspace      ${stage.workspace.root} (removed on exit; --keep keeps it)`,
  );
}

/** The dashboard comes with a later part of relbot; show its URL only when this build serves one. */
async function hasDashboard(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/`, { headers: { Accept: "text/html" } });
    await response.body?.cancel();
    return response.ok && (response.headers.get("content-type") ?? "").includes("text/html");
  } catch {
    return false;
  }
}
