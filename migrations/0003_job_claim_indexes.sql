DROP INDEX `jobs_status_run_at`;--> statement-breakpoint
CREATE INDEX `jobs_status_run_at_id` ON `jobs` (`status`,`run_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_lease` ON `jobs` (`status`,`lease_until`);