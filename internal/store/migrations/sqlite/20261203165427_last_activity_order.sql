-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "last_activity_at" to table: "contacts"
ALTER TABLE `contacts` ADD COLUMN `last_activity_at` datetime NULL;
-- Create "new_leads" table
CREATE TABLE `new_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NULL, `phone` text NULL, `company_name` text NOT NULL DEFAULT (''), `job_title` text NOT NULL DEFAULT (''), `country` text NOT NULL DEFAULT (''), `source` text NOT NULL, `budget` text NOT NULL DEFAULT ('UNKNOWN'), `budget_amount` real NULL, `authority` text NOT NULL DEFAULT ('UNKNOWN'), `need` text NOT NULL DEFAULT ('UNKNOWN'), `timing` text NOT NULL DEFAULT ('UNKNOWN'), `timing_date` datetime NULL, `estimated_value` real NULL, `stage_entered_at` datetime NOT NULL, `fit_score` integer NOT NULL DEFAULT (0), `engagement_score` integer NOT NULL DEFAULT (0), `score` integer NOT NULL DEFAULT (0), `grade` text NULL, `temperature` text NULL, `recommended_stage` text NULL, `reasons` json NULL, `bant` json NULL, `coverage` json NULL, `project_signal` bool NOT NULL DEFAULT (false), `qualified_at` datetime NULL, `policy_revision` text NULL, `policy_hash` text NULL, `version` integer NOT NULL DEFAULT (1), `opportunity_name` text NULL, `converted_at` datetime NULL, `last_activity_at` datetime NULL, `idempotency_key` text NULL, `idempotency_scope` text NULL, `idempotency_hash` text NULL, `account_id` integer NULL, `stage_id` integer NOT NULL, `furthest_stage_id` integer NOT NULL, `owner_id` integer NULL, CONSTRAINT `leads_accounts_leads` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `leads_stages_stage` FOREIGN KEY (`stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_stages_furthest_stage` FOREIGN KEY (`furthest_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_users_owned_leads` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_leads', 12884901888);
-- Copy rows from old table "leads" to new temporary table "new_leads"
INSERT INTO `new_leads` (`id`, `created_at`, `updated_at`, `first_name`, `last_name`, `email`, `phone`, `company_name`, `job_title`, `country`, `source`, `budget`, `budget_amount`, `authority`, `need`, `timing`, `timing_date`, `estimated_value`, `stage_entered_at`, `fit_score`, `engagement_score`, `score`, `grade`, `temperature`, `recommended_stage`, `reasons`, `bant`, `coverage`, `project_signal`, `qualified_at`, `policy_revision`, `policy_hash`, `version`, `opportunity_name`, `converted_at`, `idempotency_key`, `idempotency_scope`, `idempotency_hash`, `account_id`, `stage_id`, `furthest_stage_id`, `owner_id`) SELECT `id`, `created_at`, `updated_at`, `first_name`, `last_name`, `email`, `phone`, `company_name`, `job_title`, `country`, `source`, `budget`, `budget_amount`, `authority`, `need`, `timing`, `timing_date`, `estimated_value`, `stage_entered_at`, `fit_score`, `engagement_score`, `score`, `grade`, `temperature`, `recommended_stage`, `reasons`, `bant`, `coverage`, `project_signal`, `qualified_at`, `policy_revision`, `policy_hash`, `version`, `opportunity_name`, `converted_at`, `idempotency_key`, `idempotency_scope`, `idempotency_hash`, `account_id`, `stage_id`, `furthest_stage_id`, `owner_id` FROM `leads`;
-- Drop "leads" table after copying rows
DROP TABLE `leads`;
-- Rename temporary table "new_leads" to "leads"
ALTER TABLE `new_leads` RENAME TO `leads`;
-- Create index "lead_stage_id_created_at" to table: "leads"
CREATE INDEX `lead_stage_id_created_at` ON `leads` (`stage_id`, `created_at`);
-- Create index "lead_owner_id_stage_id" to table: "leads"
CREATE INDEX `lead_owner_id_stage_id` ON `leads` (`owner_id`, `stage_id`);
-- Create index "lead_source_created_at" to table: "leads"
CREATE INDEX `lead_source_created_at` ON `leads` (`source`, `created_at`);
-- Create index "lead_created_at" to table: "leads"
CREATE INDEX `lead_created_at` ON `leads` (`created_at`);
-- Create index "lead_account_id" to table: "leads"
CREATE INDEX `lead_account_id` ON `leads` (`account_id`);
-- Create index "lead_email" to table: "leads"
CREATE INDEX `lead_email` ON `leads` (`email`);
-- Create index "lead_last_activity_at" to table: "leads"
CREATE INDEX `lead_last_activity_at` ON `leads` (`last_activity_at`);
-- Create index "lead_idempotency_scope_idempotency_key" to table: "leads"
CREATE UNIQUE INDEX `lead_idempotency_scope_idempotency_key` ON `leads` (`idempotency_scope`, `idempotency_key`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
