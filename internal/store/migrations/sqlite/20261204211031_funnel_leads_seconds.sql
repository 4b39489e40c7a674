-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_funnel_exits" table
CREATE TABLE `new_funnel_exits` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `lead_id` integer NOT NULL, `stage_id` integer NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `from_stage_id` integer NOT NULL DEFAULT (0), `counted` bool NOT NULL DEFAULT (true));
-- Set sequence for "new_funnel_exits" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_funnel_exits', 55834574848);
-- Copy rows from old table "funnel_exits" to new temporary table "new_funnel_exits"
INSERT INTO `new_funnel_exits` (`id`, `lead_id`, `stage_id`, `reason_code`, `from_stage_id`) SELECT `id`, `lead_id`, `stage_id`, `reason_code`, `from_stage_id` FROM `funnel_exits`;
-- Drop "funnel_exits" table after copying rows
DROP TABLE `funnel_exits`;
-- Rename temporary table "new_funnel_exits" to "funnel_exits"
ALTER TABLE `new_funnel_exits` RENAME TO `funnel_exits`;
-- Create index "funnelexit_lead_id_stage_id_reason_code_from_stage_id" to table: "funnel_exits"
CREATE UNIQUE INDEX `funnelexit_lead_id_stage_id_reason_code_from_stage_id` ON `funnel_exits` (`lead_id`, `stage_id`, `reason_code`, `from_stage_id`);
-- Create "new_funnel_leads" table
CREATE TABLE `new_funnel_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `cohort_month` text NOT NULL, `source` text NOT NULL, `owner_id` integer NULL, `team` text NOT NULL DEFAULT (''), `industry` text NOT NULL DEFAULT (''), `region` text NOT NULL DEFAULT (''), `r1` real NULL, `r2` real NULL, `r3` real NULL, `r4` real NULL, `r5` real NULL, `r6` real NULL, `r7` real NULL, `r8` real NULL, `r9` real NULL, `r10` real NULL, `r11` real NULL, `r12` real NULL, `o1` integer NULL, `o2` integer NULL, `o3` integer NULL, `o4` integer NULL, `o5` integer NULL, `o6` integer NULL, `o7` integer NULL, `o8` integer NULL, `o9` integer NULL, `o10` integer NULL, `o11` integer NULL, `o12` integer NULL, `l1` real NULL, `l2` real NULL, `l3` real NULL, `l4` real NULL, `l5` real NULL, `l6` real NULL, `l7` real NULL, `l8` real NULL, `l9` real NULL, `l10` real NULL, `l11` real NULL, `l12` real NULL, `c1` real NULL, `c2` real NULL, `c3` real NULL, `c4` real NULL, `c5` real NULL, `c6` real NULL, `c7` real NULL, `c8` real NULL, `c9` real NULL, `c10` real NULL, `c11` real NULL, `c12` real NULL);
-- Set sequence for "new_funnel_leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_funnel_leads', 124554051584);
-- Copy rows from old table "funnel_leads" to new temporary table "new_funnel_leads"
INSERT INTO `new_funnel_leads` (`id`, `created_at`, `cohort_month`, `source`, `owner_id`, `team`, `industry`, `region`, `r1`, `r2`, `r3`, `r4`, `r5`, `r6`, `r7`, `r8`, `r9`, `r10`, `r11`, `r12`, `o1`, `o2`, `o3`, `o4`, `o5`, `o6`, `o7`, `o8`, `o9`, `o10`, `o11`, `o12`, `l1`, `l2`, `l3`, `l4`, `l5`, `l6`, `l7`, `l8`, `l9`, `l10`, `l11`, `l12`, `c1`, `c2`, `c3`, `c4`, `c5`, `c6`, `c7`, `c8`, `c9`, `c10`, `c11`, `c12`) SELECT `id`, `created_at`, `cohort_month`, `source`, `owner_id`, `team`, `industry`, `region`, `r1`, `r2`, `r3`, `r4`, `r5`, `r6`, `r7`, `r8`, `r9`, `r10`, `r11`, `r12`, `o1`, `o2`, `o3`, `o4`, `o5`, `o6`, `o7`, `o8`, `o9`, `o10`, `o11`, `o12`, `l1`, `l2`, `l3`, `l4`, `l5`, `l6`, `l7`, `l8`, `l9`, `l10`, `l11`, `l12`, `c1`, `c2`, `c3`, `c4`, `c5`, `c6`, `c7`, `c8`, `c9`, `c10`, `c11`, `c12` FROM `funnel_leads`;
-- Drop "funnel_leads" table after copying rows
DROP TABLE `funnel_leads`;
-- Rename temporary table "new_funnel_leads" to "funnel_leads"
ALTER TABLE `new_funnel_leads` RENAME TO `funnel_leads`;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
