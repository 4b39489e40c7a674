-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_import_runs" table
CREATE TABLE `new_import_runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `file_name` text NOT NULL DEFAULT (''), `dry_run` bool NOT NULL DEFAULT (false), `status` text NOT NULL DEFAULT ('RUNNING'), `encoding` text NOT NULL DEFAULT (''), `delimiter` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `created` integer NOT NULL DEFAULT (0), `matched` integer NOT NULL DEFAULT (0), `refused` integer NOT NULL DEFAULT (0), `unknown_columns` json NULL, `error_csv` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `finished_at` datetime NULL, `file` blob NULL, `columns` json NULL, `default_source` text NOT NULL DEFAULT (''), `checkpoint` integer NOT NULL DEFAULT (0), `river_job_id` integer NULL, `started_by_id` integer NULL, `started_by_role` text NOT NULL DEFAULT (''), `started_by_team` text NOT NULL DEFAULT (''), `started_by_via` text NOT NULL DEFAULT (''), `started_by_subject` text NOT NULL DEFAULT (''));
-- Set sequence for "new_import_runs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_import_runs', 85899345920);
-- Copy rows from old table "import_runs" to new temporary table "new_import_runs"
INSERT INTO `new_import_runs` (`id`, `file_name`, `dry_run`, `status`, `encoding`, `delimiter`, `total`, `processed`, `created`, `matched`, `refused`, `unknown_columns`, `error_csv`, `created_at`, `finished_at`, `file`, `columns`, `default_source`, `checkpoint`, `river_job_id`) SELECT `id`, `file_name`, `dry_run`, `status`, `encoding`, `delimiter`, `total`, `processed`, `created`, `matched`, `refused`, `unknown_columns`, `error_csv`, `created_at`, `finished_at`, `file`, `columns`, `default_source`, `checkpoint`, `river_job_id` FROM `import_runs`;
-- Drop "import_runs" table after copying rows
DROP TABLE `import_runs`;
-- Rename temporary table "new_import_runs" to "import_runs"
ALTER TABLE `new_import_runs` RENAME TO `import_runs`;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
