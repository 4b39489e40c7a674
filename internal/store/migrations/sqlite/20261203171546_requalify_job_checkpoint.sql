-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_requalify_jobs" table
CREATE TABLE `new_requalify_jobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `where` json NULL, `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `moved` integer NOT NULL DEFAULT (0), `failed` integer NOT NULL DEFAULT (0), `errors` json NULL, `policy_revision` text NOT NULL DEFAULT (''), `policy_hash` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `river_job_id` integer NULL, `checkpoint` integer NOT NULL DEFAULT (0), `only_changed_from` text NOT NULL DEFAULT (''));
-- Set sequence for "new_requalify_jobs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_requalify_jobs', 38654705664);
-- Copy rows from old table "requalify_jobs" to new temporary table "new_requalify_jobs"
INSERT INTO `new_requalify_jobs` (`id`, `status`, `where`, `total`, `processed`, `moved`, `failed`, `errors`, `policy_revision`, `policy_hash`, `created_at`, `started_at`, `finished_at`) SELECT `id`, `status`, `where`, `total`, `processed`, `moved`, `failed`, `errors`, `policy_revision`, `policy_hash`, `created_at`, `started_at`, `finished_at` FROM `requalify_jobs`;
-- Drop "requalify_jobs" table after copying rows
DROP TABLE `requalify_jobs`;
-- Rename temporary table "new_requalify_jobs" to "requalify_jobs"
ALTER TABLE `new_requalify_jobs` RENAME TO `requalify_jobs`;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
