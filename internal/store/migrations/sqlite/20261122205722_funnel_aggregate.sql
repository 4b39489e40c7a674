-- Create "funnel_counts" table
CREATE TABLE `funnel_counts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `cohort_stage` integer NOT NULL, `cohort_day` text NOT NULL, `stage_id` integer NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `dim` text NOT NULL DEFAULT (''), `dim_value` text NOT NULL DEFAULT (''), `n` integer NOT NULL);
-- Set sequence for "funnel_counts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_counts', 51539607552);
-- Create index "funnelcount_key" to table: "funnel_counts"
CREATE UNIQUE INDEX `funnelcount_key` ON `funnel_counts` (`cohort_stage`, `dim`, `cohort_day`, `stage_id`, `reason_code`, `dim_value`);
-- Create "funnel_exits" table
CREATE TABLE `funnel_exits` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `lead_id` integer NOT NULL, `stage_id` integer NOT NULL, `reason_code` text NOT NULL DEFAULT (''));
-- Set sequence for "funnel_exits" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_exits', 55834574848);
-- Create index "funnelexit_lead_id_stage_id_reason_code" to table: "funnel_exits"
CREATE UNIQUE INDEX `funnelexit_lead_id_stage_id_reason_code` ON `funnel_exits` (`lead_id`, `stage_id`, `reason_code`);
-- Create "funnel_sketches" table
CREATE TABLE `funnel_sketches` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `cohort_stage` integer NOT NULL, `cohort_month` text NOT NULL, `metric` integer NOT NULL, `stage_id` integer NOT NULL, `to_stage_id` integer NOT NULL DEFAULT (0), `dim` text NOT NULL DEFAULT (''), `dim_value` text NOT NULL DEFAULT (''), `bucket` integer NOT NULL, `n` integer NOT NULL, `value_sum` real NOT NULL DEFAULT (0));
-- Set sequence for "funnel_sketches" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_sketches', 60129542144);
-- Create index "funnelsketch_key" to table: "funnel_sketches"
CREATE UNIQUE INDEX `funnelsketch_key` ON `funnel_sketches` (`cohort_stage`, `dim`, `metric`, `stage_id`, `to_stage_id`, `cohort_month`, `dim_value`, `bucket`);
