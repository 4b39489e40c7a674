-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_funnel_exits" table
CREATE TABLE `new_funnel_exits` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `lead_id` integer NOT NULL, `stage_id` integer NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `from_stage_id` integer NOT NULL DEFAULT (0), `counted` bool NOT NULL DEFAULT (true));
-- Set sequence for "new_funnel_exits" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_funnel_exits', 55834574848);
-- Copy rows from old table "funnel_exits" to new temporary table "new_funnel_exits"
INSERT INTO `new_funnel_exits` (`id`, `lead_id`, `stage_id`, `reason_code`) SELECT `id`, `lead_id`, `stage_id`, `reason_code` FROM `funnel_exits`;
-- Drop "funnel_exits" table after copying rows
DROP TABLE `funnel_exits`;
-- Rename temporary table "new_funnel_exits" to "funnel_exits"
ALTER TABLE `new_funnel_exits` RENAME TO `funnel_exits`;
-- Create index "funnelexit_lead_id_stage_id_reason_code_from_stage_id" to table: "funnel_exits"
CREATE UNIQUE INDEX `funnelexit_lead_id_stage_id_reason_code_from_stage_id` ON `funnel_exits` (`lead_id`, `stage_id`, `reason_code`, `from_stage_id`);
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
-- Create "funnel_leads" table
CREATE TABLE `funnel_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `cohort_month` text NOT NULL, `source` text NOT NULL, `owner_id` integer NULL, `team` text NOT NULL DEFAULT (''), `industry` text NOT NULL DEFAULT (''), `region` text NOT NULL DEFAULT (''), `r1` real NULL, `r2` real NULL, `r3` real NULL, `r4` real NULL, `r5` real NULL, `r6` real NULL, `r7` real NULL, `r8` real NULL, `r9` real NULL, `r10` real NULL, `r11` real NULL, `r12` real NULL, `o1` integer NULL, `o2` integer NULL, `o3` integer NULL, `o4` integer NULL, `o5` integer NULL, `o6` integer NULL, `o7` integer NULL, `o8` integer NULL, `o9` integer NULL, `o10` integer NULL, `o11` integer NULL, `o12` integer NULL, `l1` real NULL, `l2` real NULL, `l3` real NULL, `l4` real NULL, `l5` real NULL, `l6` real NULL, `l7` real NULL, `l8` real NULL, `l9` real NULL, `l10` real NULL, `l11` real NULL, `l12` real NULL, `c1` real NULL, `c2` real NULL, `c3` real NULL, `c4` real NULL, `c5` real NULL, `c6` real NULL, `c7` real NULL, `c8` real NULL, `c9` real NULL, `c10` real NULL, `c11` real NULL, `c12` real NULL);
-- Set sequence for "funnel_leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_leads', 124554051584);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Hand-written (internal/funnel, issue 21): funnel_leads replaces the ledger, the aggregate and
-- the sketches; the exits are rebuilt with the stage left (serve rebuilds an empty rollup in the
-- background, the CLI with `qualify funnel rebuild`).
DROP TABLE "funnel_counts";
DROP TABLE "funnel_sketches";
DROP TABLE "funnel_reaches";
DELETE FROM "funnel_exits";
