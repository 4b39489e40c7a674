-- Create "funnel_reaches" table
CREATE TABLE `funnel_reaches` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `lead_id` integer NOT NULL, `stage_id` integer NOT NULL, `lead_created_at` datetime NOT NULL, `cohort_month` text NOT NULL, `reached_at` datetime NOT NULL, `entered` bool NOT NULL, `source` text NOT NULL, `owner_id` integer NULL, `team` text NOT NULL DEFAULT (''), `industry` text NOT NULL DEFAULT (''), `region` text NOT NULL DEFAULT (''), `stays` integer NOT NULL DEFAULT (0), `latest_stay_days` real NULL, `total_stay_days` real NULL);
-- Set sequence for "funnel_reaches" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_reaches', 47244640256);
-- Create index "funnelreach_lead_id_stage_id" to table: "funnel_reaches"
CREATE UNIQUE INDEX `funnelreach_lead_id_stage_id` ON `funnel_reaches` (`lead_id`, `stage_id`);
-- Create index "funnelreach_stage_id_lead_created_at" to table: "funnel_reaches"
CREATE INDEX `funnelreach_stage_id_lead_created_at` ON `funnel_reaches` (`stage_id`, `lead_created_at`);
-- Create index "funnelreach_stage_id_reached_at" to table: "funnel_reaches"
CREATE INDEX `funnelreach_stage_id_reached_at` ON `funnel_reaches` (`stage_id`, `reached_at`);
