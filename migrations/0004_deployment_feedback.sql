ALTER TABLE `promotions` ADD `deployment_state` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployment_revision` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployment_since` integer;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployment_updated_at` integer;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployment_message` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployment_application` text;--> statement-breakpoint
ALTER TABLE `promotions` ADD `deployed_at` integer;--> statement-breakpoint
CREATE INDEX `promotions_deployment_state` ON `promotions` (`deployment_state`);