CREATE TABLE `audit_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`kind` text NOT NULL,
	`actor` text NOT NULL,
	`subject` text NOT NULL,
	`payload` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_kind_seq` ON `audit_events` (`kind`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_subject_seq` ON `audit_events` (`subject`,`seq`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`job_ids` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`dedup_key` text,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 8 NOT NULL,
	`run_at` integer NOT NULL,
	`lease_owner` text,
	`lease_until` integer,
	`last_error` text,
	`result` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_dedup_key` ON `jobs` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `jobs_status_run_at` ON `jobs` (`status`,`run_at`);--> statement-breakpoint
CREATE TABLE `promotions` (
	`id` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`app` text NOT NULL,
	`env` text NOT NULL,
	`from_version` text,
	`to_version` text NOT NULL,
	`kind` text DEFAULT 'promote' NOT NULL,
	`actor` text NOT NULL,
	`source` text NOT NULL,
	`reason` text,
	`status` text NOT NULL,
	`gitops_commit` text,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `promotions_app_env_created` ON `promotions` (`app`,`env`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `promotions_actor_created` ON `promotions` (`actor`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `promotions_status_created` ON `promotions` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `promotions_created` ON `promotions` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `promotions_request` ON `promotions` (`request_id`);--> statement-breakpoint
CREATE TABLE `releases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app` text NOT NULL,
	`module` text NOT NULL,
	`version` text NOT NULL,
	`tag_name` text NOT NULL,
	`tag_object` text NOT NULL,
	`commit` text,
	`signature_format` text,
	`signer` text,
	`key_fingerprint` text,
	`sbom_digest` text,
	`sbom_format` text,
	`status` text NOT NULL,
	`reasons` text DEFAULT '[]' NOT NULL,
	`tag_state` text DEFAULT 'ok' NOT NULL,
	`source` text DEFAULT 'webhook' NOT NULL,
	`delivery_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `releases_app_version_object` ON `releases` (`app`,`version`,`tag_object`);--> statement-breakpoint
CREATE INDEX `releases_app_created` ON `releases` (`app`,`created_at`);