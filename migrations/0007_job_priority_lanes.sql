ALTER TABLE `jobs` ADD `priority` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_claim_lane` ON `jobs` (`status`,`priority`,`run_at`,`id`);--> statement-breakpoint
-- Jobs queued before the lanes existed: what a person waits on moves to the urgent lane.
UPDATE `jobs` SET `priority` = 1 WHERE `kind` IN ('promotion', 'chat-comment', 'tag-pin') AND `status` IN ('queued', 'running');
