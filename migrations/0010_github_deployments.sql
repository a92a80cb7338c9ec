CREATE TABLE `github_deployments` (
	`promotion_id` text PRIMARY KEY NOT NULL,
	`app` text NOT NULL,
	`env` text NOT NULL,
	`repository` text NOT NULL,
	`environment` text NOT NULL,
	`ref` text NOT NULL,
	`deployment_id` integer,
	`create_attempted_at` integer,
	`state` text,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `github_deployments_app_env_state` ON `github_deployments` (`app`,`env`,`state`);