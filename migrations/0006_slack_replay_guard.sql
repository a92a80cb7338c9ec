CREATE TABLE `slack_requests` (
	`signature` text PRIMARY KEY NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `slack_requests_timestamp` ON `slack_requests` (`timestamp`);