CREATE INDEX `promotions_app_created` ON `promotions` (`app`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `promotions_app_version` ON `promotions` (`app`,`to_version`,`created_at`,`id`);