-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "policy_hash" to table: "leads"
ALTER TABLE `leads` ADD COLUMN `policy_hash` text NULL;
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
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Label the revisions recorded before labels existed: unique by their hash prefix
UPDATE `policy_revisions` SET `label` = `revision` || '+' || substr(`hash`, 1, 12) WHERE `label` IS NULL;
