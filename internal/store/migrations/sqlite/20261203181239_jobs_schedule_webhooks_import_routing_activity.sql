-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "last_activity_at" to table: "contacts"
ALTER TABLE `contacts` ADD COLUMN `last_activity_at` datetime NULL;
-- Create "new_leads" table
CREATE TABLE `new_leads` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NULL, `phone` text NULL, `company_name` text NOT NULL DEFAULT (''), `job_title` text NOT NULL DEFAULT (''), `country` text NOT NULL DEFAULT (''), `source` text NOT NULL, `budget` text NOT NULL DEFAULT ('UNKNOWN'), `budget_amount` real NULL, `authority` text NOT NULL DEFAULT ('UNKNOWN'), `need` text NOT NULL DEFAULT ('UNKNOWN'), `timing` text NOT NULL DEFAULT ('UNKNOWN'), `timing_date` datetime NULL, `estimated_value` real NULL, `stage_entered_at` datetime NOT NULL, `fit_score` integer NOT NULL DEFAULT (0), `engagement_score` integer NOT NULL DEFAULT (0), `score` integer NOT NULL DEFAULT (0), `grade` text NULL, `temperature` text NULL, `recommended_stage` text NULL, `reasons` json NULL, `bant` json NULL, `coverage` json NULL, `project_signal` bool NOT NULL DEFAULT (false), `qualified_at` datetime NULL, `next_review_at` datetime NULL, `policy_revision` text NULL, `policy_hash` text NULL, `version` integer NOT NULL DEFAULT (1), `opportunity_name` text NULL, `converted_at` datetime NULL, `last_activity_at` datetime NULL, `idempotency_key` text NULL, `idempotency_scope` text NULL, `idempotency_hash` text NULL, `account_id` integer NULL, `stage_id` integer NOT NULL, `furthest_stage_id` integer NOT NULL, `owner_id` integer NULL, CONSTRAINT `leads_accounts_leads` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `leads_stages_stage` FOREIGN KEY (`stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_stages_furthest_stage` FOREIGN KEY (`furthest_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `leads_users_owned_leads` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
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
-- Create index "lead_next_review_at" to table: "leads"
CREATE INDEX `lead_next_review_at` ON `leads` (`next_review_at`);
-- Create index "lead_last_activity_at" to table: "leads"
CREATE INDEX `lead_last_activity_at` ON `leads` (`last_activity_at`);
-- Create index "lead_idempotency_scope_idempotency_key" to table: "leads"
CREATE UNIQUE INDEX `lead_idempotency_scope_idempotency_key` ON `leads` (`idempotency_scope`, `idempotency_key`);
-- Create "new_stage_transitions" table
CREATE TABLE `new_stage_transitions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `from_entered_at` datetime NULL, `actor_kind` text NOT NULL, `trigger` text NOT NULL, `reason_code` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `policy_revision` text NOT NULL DEFAULT (''), `policy_hash` text NOT NULL DEFAULT (''), `decision_id` text NOT NULL DEFAULT (''), `routing_team` text NOT NULL DEFAULT (''), `routing_code` text NOT NULL DEFAULT (''), `routing_reason` text NOT NULL DEFAULT (''), `lead_id` integer NOT NULL, `from_stage_id` integer NULL, `to_stage_id` integer NOT NULL, `actor_id` integer NULL, `assigned_owner_id` integer NULL, CONSTRAINT `stage_transitions_leads_transitions` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_stages_from_stage` FOREIGN KEY (`from_stage_id`) REFERENCES `stages` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_stages_to_stage` FOREIGN KEY (`to_stage_id`) REFERENCES `stages` (`id`) ON DELETE NO ACTION, CONSTRAINT `stage_transitions_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `stage_transitions_users_assigned_owner` FOREIGN KEY (`assigned_owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_stage_transitions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_stage_transitions', 30064771072);
-- Copy rows from old table "stage_transitions" to new temporary table "new_stage_transitions"
INSERT INTO `new_stage_transitions` (`id`, `occurred_at`, `from_entered_at`, `actor_kind`, `trigger`, `reason_code`, `reason`, `policy_revision`, `policy_hash`, `decision_id`, `lead_id`, `from_stage_id`, `to_stage_id`, `actor_id`, `assigned_owner_id`) SELECT `id`, `occurred_at`, `from_entered_at`, `actor_kind`, `trigger`, `reason_code`, `reason`, `policy_revision`, `policy_hash`, `decision_id`, `lead_id`, `from_stage_id`, `to_stage_id`, `actor_id`, `assigned_owner_id` FROM `stage_transitions`;
-- Drop "stage_transitions" table after copying rows
DROP TABLE `stage_transitions`;
-- Rename temporary table "new_stage_transitions" to "stage_transitions"
ALTER TABLE `new_stage_transitions` RENAME TO `stage_transitions`;
-- Create index "stagetransition_lead_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_lead_id_occurred_at` ON `stage_transitions` (`lead_id`, `occurred_at`);
-- Create index "stagetransition_to_stage_id_occurred_at" to table: "stage_transitions"
CREATE INDEX `stagetransition_to_stage_id_occurred_at` ON `stage_transitions` (`to_stage_id`, `occurred_at`);
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
-- Create "import_mappings" table
CREATE TABLE `import_mappings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `columns` json NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
-- Set sequence for "import_mappings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('import_mappings', 81604378624);
-- Create index "import_mappings_name_key" to table: "import_mappings"
CREATE UNIQUE INDEX `import_mappings_name_key` ON `import_mappings` (`name`);
-- Create "import_runs" table
CREATE TABLE `import_runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `file_name` text NOT NULL DEFAULT (''), `dry_run` bool NOT NULL DEFAULT (false), `status` text NOT NULL DEFAULT ('RUNNING'), `encoding` text NOT NULL DEFAULT (''), `delimiter` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `created` integer NOT NULL DEFAULT (0), `matched` integer NOT NULL DEFAULT (0), `refused` integer NOT NULL DEFAULT (0), `unknown_columns` json NULL, `error_csv` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `finished_at` datetime NULL);
-- Set sequence for "import_runs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('import_runs', 85899345920);
-- Create "lead_escalations" table
CREATE TABLE `lead_escalations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `lead_id` integer NOT NULL, `rule` text NOT NULL, `stage` text NOT NULL, `stage_entered_at` datetime NOT NULL, `action` text NOT NULL, `due_at` datetime NOT NULL, `escalated_at` datetime NOT NULL, `owner_id` integer NULL, `team` text NOT NULL DEFAULT (''), `reassigned_to` integer NULL, `policy_revision` text NOT NULL, `policy_hash` text NOT NULL, `decision_id` text NOT NULL);
-- Set sequence for "lead_escalations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('lead_escalations', 77309411328);
-- Create index "leadescalation_lead_id_rule_stage_entered_at" to table: "lead_escalations"
CREATE UNIQUE INDEX `leadescalation_lead_id_rule_stage_entered_at` ON `lead_escalations` (`lead_id`, `rule`, `stage_entered_at`);
-- Create index "leadescalation_escalated_at" to table: "lead_escalations"
CREATE INDEX `leadescalation_escalated_at` ON `lead_escalations` (`escalated_at`);
-- Create "webhook_attempts" table
CREATE TABLE `webhook_attempts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `at` datetime NOT NULL, `status_code` integer NULL, `duration_ms` integer NOT NULL, `error` text NOT NULL DEFAULT (''), `delivery_id` integer NOT NULL, CONSTRAINT `webhook_attempts_webhook_deliveries_attempt_log` FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_attempts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_attempts', 90194313216);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `event_id` text NOT NULL, `event_type` text NOT NULL, `lead_id` integer NULL, `transition_id` integer NULL, `payload` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `last_status_code` integer NULL, `last_error` text NOT NULL DEFAULT (''), `delivered_at` datetime NULL, `created_at` datetime NOT NULL, `endpoint_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_deliveries', 94489280512);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_endpoint_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_created_at` ON `webhook_deliveries` (`endpoint_id`, `created_at`);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `url` text NOT NULL, `description` text NOT NULL DEFAULT (''), `event_types` json NULL, `from_stages` json NULL, `to_stages` json NULL, `teams` json NULL, `secret` text NOT NULL, `previous_secret` text NULL, `previous_secret_expires_at` datetime NULL, `enabled` bool NOT NULL DEFAULT (true), `disabled_at` datetime NULL, `disabled_reason` text NOT NULL DEFAULT (''), `failing_since` datetime NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `owner_id` integer NULL, CONSTRAINT `webhook_endpoints_users_owner` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "webhook_endpoints" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_endpoints', 98784247808);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Backfill "last_activity_at": the latest activity of each lead, and of each contact or a lead with its email
UPDATE leads SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.lead_id = leads.id);
UPDATE contacts SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.contact_id = contacts.id OR a.lead_id IN (SELECT l.id FROM leads l WHERE l.email = contacts.email));
