// The demo's story, top to bottom: two signed releases reach dev on their own, a chat command takes one to
// staging, and the GitOps history and the audit API show what happened. Every step goes through the doors a
// real installation has: git pushes, a signed GitHub webhook, a signed Slack command, the HTTP API.
import { type AppsAnswer, type AuditVerifyAnswer, RelbotApi } from "./api-client.ts";
import { demoSlackUser } from "./config.ts";
import { deliverTagPush } from "./github-push.ts";
import { DemoStepError, timeoutMs, verifiedRelease, waitForDeployed, waitForJob } from "./progress.ts";
import type { DemoReport } from "./report.ts";
import { sendSlashCommand } from "./slack-command.ts";
import { startSlackInbox } from "./slack-inbox.ts";
import { demoApp } from "./source-repo.ts";
import { type DemoStage, demoEnvironments } from "./stage.ts";

export interface ScenarioResult {
  apps: AppsAnswer;
  audit: AuditVerifyAnswer;
}

export async function runScenario(stage: DemoStage, report: DemoReport): Promise<ScenarioResult> {
  const api = new RelbotApi(stage.relbot.url, stage.config.secrets.readToken);

  await releaseToDev(stage, api, report, "v1.0.0", "demo-svc: answer with the running version");
  await releaseToDev(stage, api, report, "v1.1.0", "demo-svc: serve on :8080 by default");
  await promoteByChat(stage, api, report, "v1.1.0", "staging");

  report.step("What happened");
  report.block(`git log of the GitOps repository (${stage.gitops.url})`, stage.gitops.log());
  const apps = await api.get<AppsAnswer>("/api/v1/apps");
  report.block("GET /api/v1/apps", JSON.stringify(apps, null, 2));
  const audit = await api.get<AuditVerifyAnswer>("/api/v1/audit/verify");
  report.block("GET /api/v1/audit/verify", JSON.stringify(audit, null, 2));
  if (!audit.ok) throw new DemoStepError("the audit chain does not verify");
  return { apps, audit };
}

async function releaseToDev(
  stage: DemoStage,
  api: RelbotApi,
  report: DemoReport,
  version: string,
  subject: string,
): Promise<void> {
  report.step(`Push a signed ${version} of demo-svc and deliver GitHub's push webhook`);
  const pushed = await stage.source.release(version, subject);
  report.detail(
    `git tag -s ${version} (tag object ${short(pushed.tagObject)}, commit ${short(pushed.commit)})`,
  );
  report.detail(`git push origin ${version}`);
  const delivery = await deliverTagPush({
    relbotUrl: stage.relbot.url,
    webhookSecret: stage.config.secrets.webhookSecret,
    repoUrl: stage.source.url,
    owner: "demo",
    pushed,
  });
  report.detail(
    `POST /webhooks/github (X-GitHub-Event: push, ref refs/tags/${version}) -> ${delivery.status} ${JSON.stringify(delivery.body)}`,
  );
  const jobId = delivery.body.jobIds?.[0];
  if (delivery.status !== 202 || !jobId) {
    throw new DemoStepError(
      `relbot did not queue a release job for ${version}: ${JSON.stringify(delivery.body)}`,
    );
  }

  report.step(`relbot checks ${version} and promotes it to dev (auto: true)`);
  await waitForJob(api, jobId);
  const release = await verifiedRelease(api, demoApp.name, version);
  report.detail(
    `release ${version}: ${release.status}, signed by ${release.signer} (${release.keyFingerprint})`,
  );
  report.detail(`SBOM ${demoApp.sbomPath}: ${release.sbomDigest}`);
  const promotion = await waitForDeployed(api, demoApp.name, "dev", version);
  reportDeployed(stage, report, "dev", promotion.gitopsCommit);
}

async function promoteByChat(
  stage: DemoStage,
  api: RelbotApi,
  report: DemoReport,
  version: string,
  env: string,
): Promise<void> {
  const text = `promote ${demoApp.name} ${version} to ${env} because demo`;
  report.step(`Promote ${version} to ${env} from Slack: /release ${text}`);
  const inbox = startSlackInbox();
  try {
    const answer = await sendSlashCommand({
      relbotUrl: stage.relbot.url,
      signingSecret: stage.config.secrets.slackSigningSecret,
      user: demoSlackUser,
      text,
      responseUrl: inbox.responseUrl,
      now: () => new Date(),
    });
    report.detail(`POST /chatops/slack as ${demoSlackUser.id} (${demoSlackUser.name}) -> ${answer.status}`);
    report.detail(`Slack shows: ${answer.text}`);
    if (answer.status !== 200) throw new DemoStepError(`relbot refused the Slack command: ${answer.text}`);
    const promotion = await waitForDeployed(api, demoApp.name, env, version);
    reportDeployed(stage, report, env, promotion.gitopsCommit);
    // The result follows on response_url, as it would in the Slack channel.
    report.detail(`then Slack shows: ${await inbox.firstMessage(timeoutMs)}`);
  } finally {
    await inbox.stop();
  }
}

function reportDeployed(stage: DemoStage, report: DemoReport, env: string, commit: string | null): void {
  const file = demoEnvironments.find((e) => e.name === env)?.file ?? "";
  report.detail(
    `GitOps commit ${short(commit ?? "")}: ${file} targetRevision is now ${stage.gitops.targetRevision(file)}`,
  );
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
