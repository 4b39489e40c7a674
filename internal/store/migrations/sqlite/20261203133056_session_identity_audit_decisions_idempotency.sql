-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_leads" table
CREATE TABLE `new_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NULL, `phone` text NULL, `company_name` text NOT NULL DEFAULT (''), `job_title` text NOT NULL DEFAULT (''), `country` text NOT NULL DEFAULT (''), `source` text NOT NULL, `budget` text NOT NULL DEFAULT ('UNKNOWN'), `budget_amount` real NULL, `authority` text NOT NULL DEFAULT ('UNKNOWN'), `need` text NOT NULL DEFAULT ('UNKNOWN'), `timing` text NOT NULL DEFAULT ('UNKNOWN'), `timing_date` datetime NULL, `estimated_value` real NULL, `stage_entered_at` datetime NOT NULL, `fit_score` integer NOT NULL DEFAULT (0), `engagement_score` integer NOT NULL DEFAULT (0), `score` integer NOT NULL DEFAULT (0), `grade` text NULL, `temperature` text NULL, `recommended_stage` text NULL, `reasons` json NULL, `bant` json NULL, `coverage` json NULL, `project_signal` bool NOT NULL DEFAULT (false), `qualified_at` datetime NULL, `policy_revision` text NULL, `policy_hash` text NULL, `version` integer NOT NULL DEFAULT (1), `opportunity_name` text NULL, `converted_at` datetime NULL, `idempotency_key` text NULL, `idempotency_scope` text NULL, `idempotency_hash` text NULL, `account_id` integer NULL, `stage_id` integer NOT NULL, `furthest_stage_id` integer NOT NULL, `owner_id` integer NULL, CONSTRAINT `leads_accounts_leads` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `leads_stages_stage` FOREIGN KEY (`stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_stages_furthest_stage` FOREIGN KEY (`furthest_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_users_owned_leads` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_leads" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_leads', 12884901888);
-- Copy rows from old table "leads" to new temporary table "new_leads"
INSERT INTO `new_leads` (`id`, `created_at`, `updated_at`, `first_name`, `last_name`, `email`, `phone`, `company_name`, `job_title`, `country`, `source`, `budget`, `budget_amount`, `authority`, `need`, `timing`, `timing_date`, `estimated_value`, `stage_entered_at`, `fit_score`, `engagement_score`, `score`, `grade`, `temperature`, `recommended_stage`, `reasons`, `bant`, `coverage`, `project_signal`, `qualified_at`, `policy_revision`, `version`, `opportunity_name`, `converted_at`, `idempotency_key`, `account_id`, `stage_id`, `furthest_stage_id`, `owner_id`) SELECT `id`, `created_at`, `updated_at`, `first_name`, `last_name`, `email`, `phone`, `company_name`, `job_title`, `country`, `source`, `budget`, `budget_amount`, `authority`, `need`, `timing`, `timing_date`, `estimated_value`, `stage_entered_at`, `fit_score`, `engagement_score`, `score`, `grade`, `temperature`, `recommended_stage`, `reasons`, `bant`, `coverage`, `project_signal`, `qualified_at`, `policy_revision`, `version`, `opportunity_name`, `converted_at`, `idempotency_key`, `account_id`, `stage_id`, `furthest_stage_id`, `owner_id` FROM `leads`;
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
-- Create index "lead_idempotency_scope_idempotency_key" to table: "leads"
CREATE UNIQUE INDEX `lead_idempotency_scope_idempotency_key` ON `leads` (`idempotency_scope`, `idempotency_key`);
-- Create "new_policy_revisions" table
CREATE TABLE `new_policy_revisions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `revision` text NOT NULL, `label` text NULL, `hash` text NOT NULL, `files` json NOT NULL, `source` text NOT NULL DEFAULT (''), `loaded_at` datetime NOT NULL, `activated_at` datetime NULL, `status` text NOT NULL, `problems` json NULL, `message` text NOT NULL DEFAULT (''));
-- Set sequence for "new_policy_revisions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_policy_revisions', 17179869184);
-- Copy rows from old table "policy_revisions" to new temporary table "new_policy_revisions"
INSERT INTO `new_policy_revisions` (`id`, `revision`, `hash`, `files`, `source`, `loaded_at`, `activated_at`, `status`, `problems`, `message`) SELECT `id`, `revision`, `hash`, `files`, `source`, `loaded_at`, `activated_at`, `status`, `problems`, `message` FROM `policy_revisions`;
-- Drop "policy_revisions" table after copying rows
DROP TABLE `policy_revisions`;
-- Rename temporary table "new_policy_revisions" to "policy_revisions"
ALTER TABLE `new_policy_revisions` RENAME TO `policy_revisions`;
-- Create index "policy_revisions_label_key" to table: "policy_revisions"
CREATE UNIQUE INDEX `policy_revisions_label_key` ON `policy_revisions` (`label`);
-- Create index "policy_revisions_hash_key" to table: "policy_revisions"
CREATE UNIQUE INDEX `policy_revisions_hash_key` ON `policy_revisions` (`hash`);
-- Create index "policyrevision_status_loaded_at" to table: "policy_revisions"
CREATE INDEX `policyrevision_status_loaded_at` ON `policy_revisions` (`status`, `loaded_at`);
-- Create "new_stage_transitions" table
CREATE TABLE `new_stage_transitions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `from_entered_at` datetime NULL, `actor_kind` text NOT NULL, `trigger` text NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `policy_revision` text NOT NULL DEFAULT (''), `policy_hash` text NOT NULL DEFAULT (''), `decision_id` text NOT NULL DEFAULT (''), `lead_id` integer NOT NULL, `from_stage_id` integer NULL, `to_stage_id` integer NOT NULL, `actor_id` integer NULL, `assigned_owner_id` integer NULL, CONSTRAINT `stage_transitions_leads_transitions` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_stages_from_stage` FOREIGN KEY (`from_stage_id`) REFERENCES `stages` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_stages_to_stage` FOREIGN KEY (`to_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_users_assigned_owner` FOREIGN KEY (`assigned_owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_stage_transitions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_stage_transitions', 30064771072);
-- Copy rows from old table "stage_transitions" to new temporary table "new_stage_transitions"
INSERT INTO `new_stage_transitions` (`id`, `occurred_at`, `from_entered_at`, `actor_kind`, `trigger`, `reason_code`, `reason`, `policy_revision`, `decision_id`, `lead_id`, `from_stage_id`, `to_stage_id`, `actor_id`, `assigned_owner_id`) SELECT `id`, `occurred_at`, `from_entered_at`, `actor_kind`, `trigger`, `reason_code`, `reason`, `policy_revision`, `decision_id`, `lead_id`, `from_stage_id`, `to_stage_id`, `actor_id`, `assigned_owner_id` FROM `stage_transitions`;
-- Drop "stage_transitions" table after copying rows
DROP TABLE `stage_transitions`;
-- Rename temporary table "new_stage_transitions" to "stage_transitions"
ALTER TABLE `new_stage_transitions` RENAME TO `stage_transitions`;
-- Create index "stagetransition_lead_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_lead_id_occurred_at` ON `stage_transitions` (`lead_id`, `occurred_at`);
-- Create index "stagetransition_to_stage_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_to_stage_id_occurred_at` ON `stage_transitions` (`to_stage_id`, `occurred_at`);
-- Create "new_requalify_jobs" table
CREATE TABLE `new_requalify_jobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `where` json NULL, `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `moved` integer NOT NULL DEFAULT (0), `failed` integer NOT NULL DEFAULT (0), `errors` json NULL, `policy_revision` text NOT NULL DEFAULT (''), `policy_hash` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL);
-- Set sequence for "new_requalify_jobs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_requalify_jobs', 38654705664);
-- Copy rows from old table "requalify_jobs" to new temporary table "new_requalify_jobs"
INSERT INTO `new_requalify_jobs` (`id`, `status`, `where`, `total`, `processed`, `moved`, `failed`, `errors`, `policy_revision`, `created_at`, `started_at`, `finished_at`) SELECT `id`, `status`, `where`, `total`, `processed`, `moved`, `failed`, `errors`, `policy_revision`, `created_at`, `started_at`, `finished_at` FROM `requalify_jobs`;
-- Drop "requalify_jobs" table after copying rows
DROP TABLE `requalify_jobs`;
-- Rename temporary table "new_requalify_jobs" to "requalify_jobs"
ALTER TABLE `new_requalify_jobs` RENAME TO `requalify_jobs`;
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `action` text NOT NULL, `actor` text NOT NULL, `actor_user_id` integer NULL, `actor_role` text NOT NULL DEFAULT (''), `via` text NOT NULL DEFAULT ('API'), `target` text NOT NULL DEFAULT (''), `message` text NOT NULL DEFAULT (''), `details` json NULL);
-- Set sequence for "audit_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_events', 64424509440);
-- Create index "auditevent_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_occurred_at` ON `audit_events` (`occurred_at`);
-- Create index "auditevent_action_target" to table: "audit_events"
CREATE INDEX `auditevent_action_target` ON `audit_events` (`action`, `target`);
-- Create "decision_logs" table
CREATE TABLE `decision_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `decision_id` text NOT NULL, `kind` text NOT NULL, `path` text NOT NULL, `revision` text NOT NULL DEFAULT (''), `revision_hash` text NOT NULL, `input` json NOT NULL, `result` json NULL, `error` text NOT NULL DEFAULT (''), `latency_ns` integer NOT NULL, `caller` text NOT NULL DEFAULT (''), `caller_role` text NOT NULL DEFAULT (''), `trigger` text NOT NULL DEFAULT (''), `decided_at` datetime NOT NULL, `lead_id` integer NULL, CONSTRAINT `decision_logs_leads_decisions` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE SET NULL);
-- Set sequence for "decision_logs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('decision_logs', 68719476736);
-- Create index "decision_logs_decision_id_key" to table: "decision_logs"
CREATE UNIQUE INDEX `decision_logs_decision_id_key` ON `decision_logs` (`decision_id`);
-- Create index "decisionlog_lead_id_decided_at" to table: "decision_logs"
CREATE INDEX `decisionlog_lead_id_decided_at` ON `decision_logs` (`lead_id`, `decided_at`);
-- Create index "decisionlog_decided_at" to table: "decision_logs"
CREATE INDEX `decisionlog_decided_at` ON `decision_logs` (`decided_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Label the revisions recorded before labels existed: unique by their hash prefix
UPDATE `policy_revisions` SET `label` = `revision` || '+' || substr(`hash`, 1, 12) WHERE `label` IS NULL;
