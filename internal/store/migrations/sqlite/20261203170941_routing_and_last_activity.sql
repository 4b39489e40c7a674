-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "last_activity_at" to table: "contacts"
ALTER TABLE `contacts` ADD COLUMN `last_activity_at` datetime NULL;
-- Add column "last_activity_at" to table: "leads"
ALTER TABLE `leads` ADD COLUMN `last_activity_at` datetime NULL;
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
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- Backfill "last_activity_at": the latest activity of each lead, and of each contact or a lead with its email
UPDATE leads SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.lead_id = leads.id);
UPDATE contacts SET last_activity_at = (SELECT max(a.occurred_at) FROM activities a WHERE a.contact_id = contacts.id OR a.lead_id IN (SELECT l.id FROM leads l WHERE l.email = contacts.email));
