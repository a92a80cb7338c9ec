// Everything that lets people ask for promotions, built in one place for the composition root: the Slack
// route, GitHub comment commands (webhook hook + job), POST /api/v1/promotions, and the result notices.
// main.ts calls wireChatops once; secrets come resolved from config/ (Secrets), never from the environment.

import {
  chatCommentJobKind,
  createChatCommentHandler,
  createIssueCommentHook,
} from "../chatops/comment-job.ts";
import { createCommenterPermissionCheck } from "../chatops/github-permission.ts";
import {
  createDeploymentNotifier,
  createPromotionNoticeHandler,
  createPromotionNotifier,
  enqueueApprovalNotice,
  type PromotionNotifier,
  promotionNoticeJobKind,
} from "../chatops/notify.ts";
import { formatHistory, formatStatus } from "../chatops/replies.ts";
import { createResponseUrlPoster, registerSlackRoutes } from "../chatops/slack.ts";
import { slackMaxSkewSeconds } from "../chatops/slack-signature.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { registerApprovalRoutes } from "../http/api/approve.ts";
import { registerPromoteRoute } from "../http/api/promote.ts";
import type { RelbotApp } from "../http/app.ts";
import type { RequireScope } from "../http/auth.ts";
import { enqueuePromotionJob, type JobWorker } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import { type ApprovalOutcome, type ApprovalVote, decideApproval } from "../promotion/approval.ts";
import { requestPromotionOnce } from "../promotion/once.ts";
import {
  type PromotionOutcome,
  type PromotionRequest,
  type RequestPromotionDeps,
  requestPromotion,
} from "../promotion/request.ts";
import { loadEnvironmentStatus, loadPromotionHistory } from "../promotion/status.ts";
import type { Db } from "../store/index.ts";
import { rememberSlackRequest } from "../store/queries/index.ts";
import type { IssueCommentHook } from "../webhooks/index.ts";
import { githubClientFromConfig, teamCheckFromConfig } from "./github.ts";

export interface ChatopsWiringDeps {
  app: RelbotApp;
  db: Db;
  config: RelbotConfig;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  worker: Pick<JobWorker, "register" | "wake">;
  requireScope: RequireScope;
}

export interface ChatopsWiring {
  /** For registerGitHubWebhook: `/release` comments become "chat-comment" jobs. */
  onIssueComment: IssueCommentHook;
  /** requestPromotion as the service runs it (approvers via GitHub, durable job, worker woken when queued). */
  requestPromotion(request: PromotionRequest): Promise<PromotionOutcome>;
  /** For the promotion job handler: tells the requester how a finished promotion ended. */
  notifyPromotionFinished: PromotionNotifier;
  /** Protected environments: approve or reject a waiting promotion (chat, API, dashboard share it). */
  decideApproval(vote: ApprovalVote): Promise<ApprovalOutcome>;
  /** For the deployment watch: tells the requester whether Argo CD ran it healthy. */
  notifyDeploymentFinished: ReturnType<typeof createDeploymentNotifier>;
}

export function wireChatops(deps: ChatopsWiringDeps): ChatopsWiring {
  const { app, db, config, secrets, clock, logger, worker } = deps;
  const github = githubClientFromConfig(config, secrets, logger);
  const promotionDeps: RequestPromotionDeps = {
    db,
    config,
    clock,
    isTeamMember: teamCheckFromConfig(config, secrets, clock, logger),
    enqueue: enqueuePromotionJob,
  };
  const wakeWhenQueued = (outcome: PromotionOutcome) => {
    if (outcome.status === "queued") worker.wake();
    return outcome;
  };
  const request = async (r: PromotionRequest) => wakeWhenQueued(await requestPromotion(promotionDeps, r));
  // Protected environments: approvals share the request's deps; the worker looks at once when one queued it.
  const decide = async (vote: ApprovalVote) => {
    const outcome = await decideApproval({ ...promotionDeps, notifyRequester: enqueueApprovalNotice }, vote);
    if (outcome.status === "queued" || outcome.status === "rejected" || outcome.status === "expired")
      worker.wake();
    return outcome;
  };
  const describe = {
    config,
    decideApproval: decide,
    describeStatus: (name: string) =>
      formatStatus(name, loadEnvironmentStatus(db, name, config.apps[name]!.environments)),
    describeHistory: (name: string, envName?: string) =>
      formatHistory(name, envName, loadPromotionHistory(db, name, envName)),
  };
  // One poster per process: Slack's five posts per response_url are shared by the route and the notices.
  const responseUrl = createResponseUrlPoster({ clock, logger });

  if (config.slack) registerSlack(deps, { ...describe, requestPromotion: request, responseUrl });

  registerPromoteRoute(app, { requireScope: deps.requireScope, requestPromotion: request });
  registerApprovalRoutes(app, { requireScope: deps.requireScope, decideApproval: decide });

  if (github) {
    worker.register(
      chatCommentJobKind,
      createChatCommentHandler({
        ...describe,
        github,
        commenterPermission: createCommenterPermissionCheck({ octokit: github, clock }),
        requestPromotionOnce: async (r) => wakeWhenQueued(await requestPromotionOnce(promotionDeps, r)),
      }),
    );
  }
  worker.register(promotionNoticeJobKind, createPromotionNoticeHandler({ db, responseUrl, github }));

  // Comment commands need someone to answer as: the token's user or the GitHub App.
  const answerable = github && (secrets.get("githubToken") !== undefined || config.github?.app !== undefined);
  return {
    onIssueComment: createIssueCommentHook({
      db,
      clock,
      config,
      ...(answerable
        ? {}
        : {
            disabled:
              "github.tokenEnv is not set (or its variable is empty), so relbot cannot answer comments",
          }),
    }),
    requestPromotion: request,
    decideApproval: decide,
    notifyPromotionFinished: createPromotionNotifier({ db, clock, wake: () => worker.wake() }),
    notifyDeploymentFinished: createDeploymentNotifier({ db, clock, wake: () => worker.wake() }),
  };
}

function registerSlack(
  deps: ChatopsWiringDeps,
  answer: Omit<
    Parameters<typeof registerSlackRoutes>[1],
    "signingSecret" | "users" | "clock" | "logger" | "rememberRequest"
  >,
): void {
  const slack = deps.config.slack!;
  const signingSecret = deps.secrets.get("slackSigningSecret");
  if (!signingSecret) {
    // Never accept unsigned commands: without the secret nobody can be told apart from Slack.
    const problem = `the environment variable ${slack.signingSecretEnv} (slack.signingSecretEnv) is not set, so relbot refuses Slack commands`;
    deps.logger.warn({ signingSecretEnv: slack.signingSecretEnv }, problem);
    deps.app.post("/chatops/slack", () => {
      throw new RelbotError("slack_secret_missing", problem);
    });
    return;
  }
  registerSlackRoutes(deps.app, {
    ...answer,
    signingSecret,
    users: slack.users,
    clock: deps.clock,
    logger: deps.logger,
    // Kept for the whole window a timestamp can pass the check (300 s either way), plus a minute of slack
    // for clock steps; pruned as requests arrive.
    rememberRequest: (request) =>
      rememberSlackRequest(
        deps.db,
        request,
        deps.clock.now(),
        Math.floor(deps.clock.now() / 1000) - slackMaxSkewSeconds - 60,
      ),
  });
}
