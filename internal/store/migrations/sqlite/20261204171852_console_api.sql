-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
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
-- Create "policy_replicas" table
CREATE TABLE `policy_replicas` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `replica` text NOT NULL, `revision` text NOT NULL DEFAULT (''), `revision_hash` text NOT NULL DEFAULT (''), `started_at` datetime NOT NULL, `seen_at` datetime NOT NULL);
-- Set sequence for "policy_replicas" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('policy_replicas', 103079215104);
-- Create index "policy_replicas_replica_key" to table: "policy_replicas"
CREATE UNIQUE INDEX `policy_replicas_replica_key` ON `policy_replicas` (`replica`);
-- Create index "policyreplica_seen_at" to table: "policy_replicas"
CREATE INDEX `policyreplica_seen_at` ON `policy_replicas` (`seen_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
