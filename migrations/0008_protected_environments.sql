ALTER TABLE `promotions` ADD `approvals_required` integer;--> statement-breakpoint
ALTER TABLE `promotions` ADD `approvals` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `approval_expires_at` integer;--> statement-breakpoint
ALTER TABLE `promotions` ADD `reply_to` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `pull_request_number` integer;--> statement-breakpoint
ALTER TABLE `promotions` ADD `pull_request_url` text;