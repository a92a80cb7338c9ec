ALTER TABLE `releases` ADD `first_seen_at` integer;--> statement-breakpoint
UPDATE `releases` SET `first_seen_at` = `created_at`;
