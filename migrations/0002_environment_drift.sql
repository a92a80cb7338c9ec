CREATE TABLE `environment_drift` (
	`app` text NOT NULL,
	`env` text NOT NULL,
	`expected` text,
	`actual` text,
	`detected_at` integer NOT NULL,
	PRIMARY KEY(`app`, `env`)
);
