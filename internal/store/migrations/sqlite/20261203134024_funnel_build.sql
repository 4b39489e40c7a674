-- Create "funnel_builds" table
CREATE TABLE `funnel_builds` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `stages_fingerprint` text NOT NULL, `built_at` datetime NOT NULL);
-- Set sequence for "funnel_builds" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('funnel_builds', 73014444032);
-- Create index "funnel_builds_key_key" to table: "funnel_builds"
CREATE UNIQUE INDEX `funnel_builds_key_key` ON `funnel_builds` (`key`);
