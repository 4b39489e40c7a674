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
-- Add column "owner_id" to table: "stage_transitions"
ALTER TABLE `stage_transitions` ADD COLUMN `owner_id` integer NULL;
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
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
