-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_users" table
CREATE TABLE `new_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `role` text NOT NULL, `team` text NOT NULL DEFAULT (''), `active` bool NOT NULL DEFAULT (true), `manager_id` integer NULL, CONSTRAINT `users_users_reports` FOREIGN KEY (`manager_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_users', 34359738368);
-- Copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `name`, `email`, `role`, `team`, `active`) SELECT `id`, `created_at`, `updated_at`, `name`, `email`, `role`, `team`, `active` FROM `users`;
-- Drop "users" table after copying rows
DROP TABLE `users`;
-- Rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "user_team_role_active" to table: "users"
CREATE INDEX `user_team_role_active` ON `users` (`team`, `role`, `active`);
-- Hand-written: an actor id that names no user (none should) would fail the new foreign key.
UPDATE `audit_events` SET `actor_user_id` = NULL WHERE `actor_user_id` IS NOT NULL AND `actor_user_id` NOT IN (SELECT `id` FROM `users`);
-- Create "new_audit_events" table
CREATE TABLE `new_audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `occurred_at` datetime NOT NULL, `action` text NOT NULL, `actor` text NOT NULL, `actor_role` text NOT NULL DEFAULT (''), `via` text NOT NULL DEFAULT ('API'), `target` text NOT NULL DEFAULT (''), `message` text NOT NULL DEFAULT (''), `details` json NULL, `actor_user_id` integer NULL, CONSTRAINT `audit_events_users_actor_user` FOREIGN KEY (`actor_user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_audit_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_audit_events', 64424509440);
-- Copy rows from old table "audit_events" to new temporary table "new_audit_events"
INSERT INTO `new_audit_events` (`id`, `occurred_at`, `action`, `actor`, `actor_role`, `via`, `target`, `message`, `details`, `actor_user_id`) SELECT `id`, `occurred_at`, `action`, `actor`, `actor_role`, `via`, `target`, `message`, `details`, `actor_user_id` FROM `audit_events`;
-- Drop "audit_events" table after copying rows
DROP TABLE `audit_events`;
-- Rename temporary table "new_audit_events" to "audit_events"
ALTER TABLE `new_audit_events` RENAME TO `audit_events`;
-- Create index "auditevent_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_occurred_at` ON `audit_events` (`occurred_at`);
-- Create index "auditevent_action_target" to table: "audit_events"
CREATE INDEX `auditevent_action_target` ON `audit_events` (`action`, `target`);
-- Add column "owner_id" to table: "stage_transitions"
ALTER TABLE `stage_transitions` ADD COLUMN `owner_id` integer NULL;
-- Create "new_import_runs" table
CREATE TABLE `new_import_runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `file_name` text NOT NULL DEFAULT (''), `dry_run` bool NOT NULL DEFAULT (false), `status` text NOT NULL DEFAULT ('RUNNING'), `encoding` text NOT NULL DEFAULT (''), `delimiter` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `created` integer NOT NULL DEFAULT (0), `matched` integer NOT NULL DEFAULT (0), `refused` integer NOT NULL DEFAULT (0), `unknown_columns` json NULL, `error_csv` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `finished_at` datetime NULL, `file` blob NULL, `columns` json NULL, `default_source` text NOT NULL DEFAULT (''), `checkpoint` integer NOT NULL DEFAULT (0), `river_job_id` integer NULL);
-- Set sequence for "new_import_runs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_import_runs', 85899345920);
-- Copy rows from old table "import_runs" to new temporary table "new_import_runs"
INSERT INTO `new_import_runs` (`id`, `file_name`, `dry_run`, `status`, `encoding`, `delimiter`, `total`, `processed`, `created`, `matched`, `refused`, `unknown_columns`, `error_csv`, `created_at`, `finished_at`) SELECT `id`, `file_name`, `dry_run`, `status`, `encoding`, `delimiter`, `total`, `processed`, `created`, `matched`, `refused`, `unknown_columns`, `error_csv`, `created_at`, `finished_at` FROM `import_runs`;
-- Drop "import_runs" table after copying rows
DROP TABLE `import_runs`;
-- Rename temporary table "new_import_runs" to "import_runs"
ALTER TABLE `new_import_runs` RENAME TO `import_runs`;
-- Create "new_lead_escalations" table
CREATE TABLE `new_lead_escalations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `rule` text NOT NULL, `stage` text NOT NULL, `stage_entered_at` datetime NOT NULL, `action` text NOT NULL, `due_at` datetime NOT NULL, `escalated_at` datetime NOT NULL, `team` text NOT NULL DEFAULT (''), `reassigned_to` integer NULL, `flag_note` text NOT NULL DEFAULT (''), `acknowledged_at` datetime NULL, `policy_revision` text NOT NULL, `policy_hash` text NOT NULL, `decision_id` text NOT NULL, `lead_id` integer NOT NULL, `owner_id` integer NULL, `flagged_user_id` integer NULL, `acknowledged_by_id` integer NULL, CONSTRAINT `lead_escalations_leads_lead` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE NO ACTION, CONSTRAINT `lead_escalations_users_owner` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `lead_escalations_users_flagged_user` FOREIGN KEY (`flagged_user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `lead_escalations_users_acknowledged_by` FOREIGN KEY (`acknowledged_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_lead_escalations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_lead_escalations', 77309411328);
-- Copy rows from old table "lead_escalations" to new temporary table "new_lead_escalations"
INSERT INTO `new_lead_escalations` (`id`, `rule`, `stage`, `stage_entered_at`, `action`, `due_at`, `escalated_at`, `team`, `reassigned_to`, `policy_revision`, `policy_hash`, `decision_id`, `lead_id`, `owner_id`) SELECT `id`, `rule`, `stage`, `stage_entered_at`, `action`, `due_at`, `escalated_at`, `team`, `reassigned_to`, `policy_revision`, `policy_hash`, `decision_id`, `lead_id`, `owner_id` FROM `lead_escalations`;
-- Drop "lead_escalations" table after copying rows
DROP TABLE `lead_escalations`;
-- Rename temporary table "new_lead_escalations" to "lead_escalations"
ALTER TABLE `new_lead_escalations` RENAME TO `lead_escalations`;
-- Create index "leadescalation_lead_id_rule_stage_entered_at" to table: "lead_escalations"
CREATE UNIQUE INDEX `leadescalation_lead_id_rule_stage_entered_at` ON `lead_escalations` (`lead_id`, `rule`, `stage_entered_at`);
-- Create index "leadescalation_escalated_at" to table: "lead_escalations"
CREATE INDEX `leadescalation_escalated_at` ON `lead_escalations` (`escalated_at`);
-- Create index "leadescalation_flagged_user_id_acknowledged_at" to table: "lead_escalations"
CREATE INDEX `leadescalation_flagged_user_id_acknowledged_at` ON `lead_escalations` (`flagged_user_id`, `acknowledged_at`);
-- Create "policy_replicas" table
CREATE TABLE `policy_replicas` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `replica` text NOT NULL, `revision` text NOT NULL DEFAULT (''), `revision_hash` text NOT NULL DEFAULT (''), `started_at` datetime NOT NULL, `seen_at` datetime NOT NULL);
-- Set sequence for "policy_replicas" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('policy_replicas', 107374182400);
-- Create index "policy_replicas_replica_key" to table: "policy_replicas"
CREATE UNIQUE INDEX `policy_replicas_replica_key` ON `policy_replicas` (`replica`);
-- Create index "policyreplica_seen_at" to table: "policy_replicas"
CREATE INDEX `policyreplica_seen_at` ON `policy_replicas` (`seen_at`);
-- Create "simulations" table
CREATE TABLE `simulations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `status` text NOT NULL DEFAULT ('QUEUED'), `draft_hash` text NOT NULL, `draft_files` json NOT NULL, `active_hash` text NOT NULL, `where` json NULL, `sample` integer NOT NULL DEFAULT (20), `requested_by` text NOT NULL DEFAULT (''), `total` integer NOT NULL DEFAULT (0), `processed` integer NOT NULL DEFAULT (0), `errors` json NULL, `created_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `river_job_id` integer NULL, `checkpoint` integer NOT NULL DEFAULT (0), `partial` json NULL);
-- Set sequence for "simulations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('simulations', 103079215104);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
