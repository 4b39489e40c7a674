-- Create "decision_logs" table
CREATE TABLE `decision_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `decision_id` text NOT NULL, `kind` text NOT NULL, `path` text NOT NULL, `revision` text NOT NULL DEFAULT (''), `revision_hash` text NOT NULL, `input` json NOT NULL, `result` json NULL, `error` text NOT NULL DEFAULT (''), `latency_ns` integer NOT NULL, `caller` text NOT NULL DEFAULT (''), `caller_role` text NOT NULL DEFAULT (''), `trigger` text NOT NULL DEFAULT (''), `decided_at` datetime NOT NULL, `lead_id` integer NULL, CONSTRAINT `decision_logs_leads_decisions` FOREIGN KEY (`lead_id`) REFERENCES `leads` (`id`) ON DELETE SET NULL);
-- Set sequence for "decision_logs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('decision_logs', 64424509440);
-- Create index "decision_logs_decision_id_key" to table: "decision_logs"
CREATE UNIQUE INDEX `decision_logs_decision_id_key` ON `decision_logs` (`decision_id`);
-- Create index "decisionlog_lead_id_decided_at" to table: "decision_logs"
CREATE INDEX `decisionlog_lead_id_decided_at` ON `decision_logs` (`lead_id`, `decided_at`);
-- Create index "decisionlog_decided_at" to table: "decision_logs"
CREATE INDEX `decisionlog_decided_at` ON `decision_logs` (`decided_at`);
