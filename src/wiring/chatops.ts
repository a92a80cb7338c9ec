// Everything that lets people ask for promotions, built in one place for the composition root: the Slack
// command handler, GitHub comment commands (webhook hook + job), the requester POST /api/v1/promotions
// uses, and the result notices. Routes are mounted by src/http/routes.ts from what this returns.
// main.ts calls wireChatops once; secrets come resolved from config/ (Secrets), never from the environment.

import type { Octokit } from "@octokit/rest";
import type { Handler } from "hono";
import { createChatCommentHandler, createIssueCommentHook } from "../chatops/comment-job.ts";
import { createCommenterPermissionCheck } from "../chatops/github-permission.ts";
import {
  createDeploymentNotifier,
  createPromotionNoticeHandler,
  createPromotionNotifier,
  type PromotionNotifier,
} from "../chatops/notify.ts";
import { formatHistory, formatStatus } from "../chatops/replies.ts";
import { createResponseUrlPoster, type SlackRouteDeps, slackCommandHandler } from "../chatops/slack.ts";
import { slackMaxSkewSeconds } from "../chatops/slack-signature.ts";
import type { Clock } from "../clock.ts";
import type { RelbotConfig, Secrets } from "../config/index.ts";
import { RelbotError } from "../errors.ts";
import { chatCommentJob, type JobWorker, promotionNoticeJob } from "../jobs/index.ts";
import type { Logger } from "../log.ts";
import { createRequesterChannelFallback } from "../notifications/requester-fallback.ts";
import { createSlackWebhookPoster } from "../notifications/slack-webhook.ts";
import { loadEnvironmentStatus, loadPromotionHistory } from "../promotion/status.ts";
import type { Db } from "../store/index.ts";
import { rememberSlackRequest } from "../store/queries/index.ts";
import type { IssueCommentHook } from "../webhooks/index.ts";
import type { PromotionRequester } from "./promotions.ts";

export interface ChatopsWiringDeps {
  db: Db;
  /** The one GitHub client (wiring/github.ts); undefined without a github section. */
  github: Octokit | undefined;
  /** The one promotion requester (wiring/promotions.ts). */
  promotions: PromotionRequester;
  config: RelbotConfig;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  worker: Pick<JobWorker, "register" | "wake">;
}

export interface ChatopsWiring {
  /** For registerGitHubWebhook: `/release` comments become "chat-comment" jobs. */
  onIssueComment: IssueCommentHook;
  /** For the promotion job handler: tells the requester how a finished promotion ended. */
  notifyPromotionFinished: PromotionNotifier;
  /** POST /chatops/slack when the config has a slack section (a refusing one when its secret is missing). */
  slackCommand?: Handler;
  /** Protected environments: approve or reject a waiting promotion (chat, API, dashboard share it). */
  decideApproval: PromotionRequester["decideApproval"];
  /** For the deployment watch: tells the requester whether Argo CD ran it healthy. */
  notifyDeploymentFinished: ReturnType<typeof createDeploymentNotifier>;
}

export function wireChatops(deps: ChatopsWiringDeps): ChatopsWiring {
  const { db, config, secrets, clock, logger, worker, github, promotions } = deps;
  const decide = promotions.decideApproval;
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

  const slackCommand = config.slack
    ? slackHandler(deps, { ...describe, requestPromotion: promotions.request, responseUrl })
    : undefined;

  if (github) {
    worker.register(
      chatCommentJob,
      createChatCommentHandler({
        ...describe,
        github,
        commenterPermission: createCommenterPermissionCheck({ octokit: github, clock }),
        requestPromotionOnce: promotions.requestOnce,
      }),
    );
  }
  worker.register(
    promotionNoticeJob,
    createPromotionNoticeHandler({
      db,
      responseUrl,
      github,
      clock,
      channelFallback: createRequesterChannelFallback({
        channels: config.notifications,
        slackUsers: config.slack?.users ?? {},
        webhookUrl: (webhookEnv) =>
          secrets.notificationWebhooks.find((hook) => hook.envName === webhookEnv)?.secret,
        post: createSlackWebhookPoster(),
      }),
    }),
  );

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
    decideApproval: decide,
    notifyPromotionFinished: createPromotionNotifier({ db, clock, wake: () => worker.wake() }),
    ...(slackCommand ? { slackCommand } : {}),
    notifyDeploymentFinished: createDeploymentNotifier({ db, clock, wake: () => worker.wake() }),
  };
}

function slackHandler(
  deps: ChatopsWiringDeps,
  answer: Omit<SlackRouteDeps, "signingSecret" | "users" | "clock" | "logger" | "rememberRequest">,
): Handler {
  const slack = deps.config.slack!;
  const signingSecret = deps.secrets.get("slackSigningSecret");
  if (!signingSecret) {
    // Never accept unsigned commands: without the secret nobody can be told apart from Slack.
    const problem = `the environment variable ${slack.signingSecretEnv} (slack.signingSecretEnv) is not set, so relbot refuses Slack commands`;
    deps.logger.warn({ signingSecretEnv: slack.signingSecretEnv }, problem);
    return () => {
      throw new RelbotError("slack_secret_missing", problem);
    };
  }
  return slackCommandHandler({
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
