-- Add column "opportunity_name" to table: "leads"
ALTER TABLE `leads` ADD COLUMN `opportunity_name` text NULL;
-- Add column "converted_at" to table: "leads"
ALTER TABLE `leads` ADD COLUMN `converted_at` datetime NULL;
-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `role` text NOT NULL, `team` text NOT NULL DEFAULT (''), `prefix` text NOT NULL, `key_hash` text NOT NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `user_id` integer NULL, CONSTRAINT `api_keys_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "api_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('api_keys', 42949672960);
-- Create index "api_keys_prefix_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_prefix_key` ON `api_keys` (`prefix`);
-- Create index "api_keys_key_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_key_hash_key` ON `api_keys` (`key_hash`);
-- Create index "apikey_revoked_at" to table: "api_keys"
CREATE INDEX `apikey_revoked_at` ON `api_keys` (`revoked_at`);
-- Create "requalify_jobs" table
CREATE TABLE `requalify_jobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `where` json NULL, `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `moved` integer NOT NULL DEFAULT (0), `failed` integer NOT NULL DEFAULT (0), `errors` json NULL, `policy_revision` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL);
-- Set sequence for "requalify_jobs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('requalify_jobs', 38654705664);
